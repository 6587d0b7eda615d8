"""Logs made readable for `env explain`: escapes gone, the error lines of a long build log first."""

from __future__ import annotations

from agentmt.environments.logtext import clean_log, error_lines, summarize_failure

# the shape of a real failed env build (jpadilla/pyjwt 2014: pycrypto 2.6.1 has no wheel and the base
# has no compiler), as docker's legacy builder prints it: every stderr line wrapped in red
_RED = "\x1b[0m\x1b[91m{}\x1b[0m"
_BUILD_LOG = "\n".join([
    "Step 9/12 : RUN /opt/agentmt-uv/bin/uv pip install --no-deps -r /etc/agentmt/requirements.txt",
    " ---> Running in fc05cba39c85",
    *[_RED.format(x) for x in [
        "error: Failed to build `pycrypto==2.6.1`",
        "  cause: The build backend returned an error",
        "         checking for gcc... no",
        "         configure: error: no acceptable C compiler found in $PATH",
        *[f'           File "/tmp/setuptools/dist.py", line {n}, in run_command' for n in range(40)],
        "         RuntimeError: autoconf error"]],
    "Removing intermediate container fc05cba39c85",
    "DEPRECATED: The legacy builder is deprecated and will be removed in a future release.",
    "            BuildKit is currently disabled; enable it by removing the DOCKER_BUILDKIT=0",
    "            environment-variable.",
    "The command '/bin/sh -c uv pip install' returned a non-zero code: 1",
])


def test_clean_log_drops_escapes_and_progress_redraws():
    assert clean_log("\x1b[91merror\x1b[0m: x\r\n") == "error: x\n"
    assert clean_log("Downloading 10%\rDownloading 55%\rDownloading 100%\ndone") == "Downloading 100%\ndone"
    assert "\x1b" not in clean_log(_BUILD_LOG)


def test_the_cause_far_above_the_tail_comes_first():
    errors = error_lines(_BUILD_LOG)
    assert errors[0] == "error: Failed to build `pycrypto==2.6.1`"
    assert any("no acceptable C compiler" in x for x in errors)
    assert not any('File "' in x for x in errors)  # traceback frames are not error statements
    summary = summarize_failure(_BUILD_LOG)
    assert "no acceptable C compiler" in summary and "\x1b" not in summary
    assert "legacy builder" not in summary  # our own builder's banner is noise
    assert summary.rstrip().endswith("returned a non-zero code: 1")


def test_a_log_without_error_lines_is_summarized_by_its_tail():
    log = "\n".join(f"line {i}" for i in range(30))
    assert summarize_failure(log, tail_lines=3) == "line 27\nline 28\nline 29"


def test_explain_prints_a_recorded_coloured_build_log_without_escapes():
    from agentmt.environments.explain import render_explanation
    from agentmt.environments.images import build_failure
    from agentmt.types import TaskInstance

    reason, detail = build_failure(_BUILD_LOG)
    task = TaskInstance("o__r-1", "o/r", "0" * 40, "", "", "", install={"python": "3.9"},
                        validation={"status": "dropped", "drop": {"stage": "build", "reason": reason,
                                                                  "detail": detail, "log_tail": _BUILD_LOG}})
    text = render_explanation(task)
    assert reason == "install_error" and "\x1b" not in text
    head = text.split("recipe:")[0]  # the drop's own lines name the cause, before recipe and tail
    assert "no acceptable C compiler found" in head


def test_a_build_that_wants_a_compiler_gets_one_in_its_own_env_image():
    from agentmt.environments.images import (
        COMPILER_PACKAGES,
        make_env_dockerfile,
        make_env_tag,
        needs_compiler,
    )
    from agentmt.types import TaskInstance

    assert needs_compiler(clean_log(_BUILD_LOG))
    assert needs_compiler("src/_fastmath.c:31:10: fatal error: Python.h: No such file or directory")
    assert not needs_compiler("error: Failed to build `x==1.0`\n  ModuleNotFoundError: No module named 'np'")
    # an sdist bundling a C library (uvloop 2019's libuv, anyio-59): configure ran, then make was missing
    assert needs_compiler("config.status: creating Makefile\n  error: [Errno 2] No such file or directory: 'make'")
    assert "make" in COMPILER_PACKAGES.split()
    task = TaskInstance("o__r-1", "o/r", "0" * 40, "", "", "", install={
        "python": "3.9", "lock": ["pycrypto==2.6.1"], "lock_source": "resolved"})
    plain_tag, plain = make_env_tag(task, "b"), make_env_dockerfile(task, "b", with_ca=False)
    task.install["compiler"] = True
    assert COMPILER_PACKAGES not in plain
    assert COMPILER_PACKAGES in make_env_dockerfile(task, "b", with_ca=False)
    assert make_env_tag(task, "b") != plain_tag  # tasks without the toolchain keep their image


def test_source_lines_that_mention_errors_are_not_error_statements():
    log = ("    return _get_module_details(pkg_main_name, error)\n    except (ValueError, TypeError):\n"
           "ImportError: cannot import name 'HookimplOpts' from 'pluggy'\nERROR tests/test_jwt.py\n")
    assert error_lines(log) == ["ImportError: cannot import name 'HookimplOpts' from 'pluggy'",
                                "ERROR tests/test_jwt.py"]
