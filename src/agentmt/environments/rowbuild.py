"""Task images from what a row ships: its prebuilt image, or its own Dockerfile.

`build_from_row` tries the sources in trust order (rowsource's docstring); when one is used it fills
`task.install` (`source`, `test_cmd`, and for a Dockerfile the `from_substituted` record) and
`task.validation["image"]` and returns True. A prebuilt image that cannot be had is recorded in
`validation.source_fallbacks` with its reason and the next source is tried. A row Dockerfile's
`FROM` that is not here and cannot be pulled is replaced by agentmt's offline base image; the
repository at `base_commit` then replaces /testbed (rows' Dockerfiles clone from GitHub, which a
build here cannot reach) and the eval script is put at `rowsource.EVAL_SCRIPT_PATH`.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from pathlib import Path

from agentmt.environments.config import EnvConfig
from agentmt.environments.rowsource import (
    EVAL_SCRIPT_PATH,
    PREBUILT,
    ROW_DOCKERFILE,
    TASK_REPO,
    RowSources,
    row_sources,
)
from agentmt.types import TaskInstance

CA_LINES = ("\nCOPY ca.crt /etc/agentmt/ca.crt\nENV PIP_CERT=/etc/agentmt/ca.crt "
            "REQUESTS_CA_BUNDLE=/etc/agentmt/ca.crt SSL_CERT_FILE=/etc/agentmt/ca.crt")
_FROM = re.compile(r"^(\s*FROM\s+)(?:--platform=\S+\s+)?(\S+)(.*)$", re.IGNORECASE | re.MULTILINE)


def substitute_from(dockerfile: str, usable, replacement: str,
                    with_ca: bool = False) -> tuple[str, list[dict[str, str]]]:
    """The Dockerfile with every `FROM` image that `usable(image)` rejects replaced by `replacement`
    (earlier stages named `AS x` are kept, `with_ca` adds CA_LINES after each replaced FROM); returns
    (text, [{"from", "to"}]) (pure but for `usable`)."""
    stages: set[str] = set()
    done: list[dict[str, str]] = []

    def swap(m: re.Match) -> str:
        image, rest = m.group(2), m.group(3)
        alias = re.search(r"\bAS\s+(\S+)", rest, re.IGNORECASE)
        keep = image.lower() in stages or usable(image)
        if alias:
            stages.add(alias.group(1).lower())
        if keep:
            return m.group(0)
        done.append({"from": image, "to": replacement})
        # the registry behind the proxy needs its CA in the substituted base, as agentmt's own layers do
        return f"{m.group(1)}{replacement}{rest}" + (CA_LINES if with_ca else "")

    return _FROM.sub(swap, dockerfile), done


def _usable(cfg: EnvConfig):
    """`usable(image)`: present locally, or pulled where a registry answers."""
    from agentmt.environments.base import image_exists, registry_answers

    def usable(image: str) -> bool:
        if image_exists(image):
            return True
        if not (cfg.try_pull and registry_answers()):
            return False
        from agentmt.environments import dockerapi

        try:
            dockerapi.pull(image)
        except dockerapi.DockerCallError:
            return False
        return True

    return usable


def make_row_dockerfile(dockerfile: str, task: TaskInstance) -> str:
    """The row's Dockerfile followed by agentmt's instance lines: /testbed from the local clone, the
    eval script, the instance label."""
    from agentmt.environments.images import TESTBED, make_instance_label

    return (dockerfile.rstrip("\n") + "\n" + "\n".join([
        f"RUN rm -rf {TESTBED}", f"COPY testbed {TESTBED}", f"COPY eval.sh {EVAL_SCRIPT_PATH}",
        f"WORKDIR {TESTBED}", make_instance_label(task)]) + "\n")


def build_row_image(task: TaskInstance, src: RowSources, cfg: EnvConfig, repo: Path,
                    log_dir: Path | None) -> tuple[str, list[dict[str, str]]]:
    """Build the row's Dockerfile (FROM substituted where needed); returns (tag, substitutions)."""
    from agentmt.environments.base import ensure_base_image, image_exists
    from agentmt.environments.images import (
        HOST_CA_BUNDLE,
        TASK_REPOSITORY,
        _logged,
        _short_hash,
        _slug,
        docker_build,
    )
    from agentmt.environments.testbed import build_testbed

    base = ensure_base_image(cfg.base_release, try_pull=cfg.try_pull)
    with_ca = HOST_CA_BUNDLE.exists()
    text, subs = substitute_from(src.dockerfile, _usable(cfg), base, with_ca)
    text = make_row_dockerfile(text, task)
    tag = f"{TASK_REPOSITORY}:{_slug(task.instance_id)[:60]}-{_short_hash(text, task.base_commit, src.eval_script)}"
    if not image_exists(tag):
        with tempfile.TemporaryDirectory(prefix="agentmt-rowctx-") as tmp:
            ctx = Path(tmp)
            build_testbed(repo, task.base_commit, ctx / "testbed")
            (ctx / "eval.sh").write_text(src.eval_script)
            if with_ca:
                shutil.copy(HOST_CA_BUNDLE, ctx / "ca.crt")
            (ctx / "Dockerfile").write_text(text)
            # the row's own steps may install packages: the build gets the host network
            _logged(lambda: docker_build(ctx, tag, network_host=True), log_dir, f"row-{_slug(task.instance_id)}.log")
    return tag, subs


def _record_image(task: TaskInstance, tag: str, base: str, start: float) -> None:
    from agentmt.environments.images import image_id, touch_image

    touch_image(tag)
    iid = image_id(tag)
    task.validation["image"] = {"installed": [], "tag": tag, "id": iid, "env_tag": tag, "env_id": iid, "base": base}
    task.validation["build_seconds"] = round(time.monotonic() - start, 2)


def _test_fields(task: TaskInstance, src: RowSources) -> dict[str, str]:
    """How the tests run in a row's image: its eval script (graded by its exit code when the row has
    no per-test lists), else its install_config's test_cmd."""
    from agentmt.environments.exitgrade import EXIT_CODE
    from agentmt.environments.rowsource import _runner

    if src.eval_script:
        lists = task.FAIL_TO_PASS or task.PASS_TO_PASS
        fields = {"test_cmd": f"bash {EVAL_SCRIPT_PATH}", "test_runner": "pytest"}
        return fields if lists else {**fields, "grade_by": EXIT_CODE}
    cmd = str((src.install_config or {}).get("test_cmd") or "python -m pytest -rA -p no:cacheprovider")
    return {"test_cmd": cmd, "test_runner": _runner(cmd)}


def build_from_row(task: TaskInstance, cfg: EnvConfig, repo: Path, *, log_dir: Path | None = None) -> bool:
    """Use the row's prebuilt image or Dockerfile when it has one (see the module docstring); False
    when neither applies (or the task already has a recipe) and the caller builds from a recipe."""
    from agentmt.environments.buildtask import LOG_TAIL, record_drop
    from agentmt.environments.images import ImageBuildError, build_failure
    from agentmt.environments.prebuilt import PrebuiltUnavailable, pull_task_image
    from agentmt.environments.rows import BadRow
    from agentmt.environments.rows.swesmith import make_bug_commit

    try:  # a SWE-smith row's bug becomes its base commit before any source is tried
        make_bug_commit(task, repo)
    except BadRow as e:
        raise record_drop(task, "build", e.reason, str(e)) from e
    src = row_sources(task)
    if task.install or not (src.image or src.dockerfile):
        return False
    start = time.monotonic()
    if src.image:
        try:
            tag = pull_task_image(task, src.image)
        except PrebuiltUnavailable as e:
            task.validation.setdefault("source_fallbacks", []).append({"source": PREBUILT, "reason": str(e)})
        else:
            if src.eval_script:  # the eval script rides in a thin layer on top
                tag = _with_eval_script(task, tag, src.eval_script, log_dir)
            task.install = {"source": PREBUILT, "image": src.image, **_test_fields(task, src)}
            _record_image(task, tag, src.image, start)
            return True
    if not src.dockerfile:
        return False
    task.install = {"source": TASK_REPO if src.task_repo else ROW_DOCKERFILE, **_test_fields(task, src)}
    try:
        tag, subs = build_row_image(task, src, cfg, repo, log_dir)
    except ImageBuildError as e:
        reason, message = build_failure(e.log)
        raise record_drop(task, "build", reason, message, log_tail=e.log[-LOG_TAIL:]) from e
    task.install["from_substituted"] = subs
    _record_image(task, tag, subs[0]["to"] if subs else "", start)
    return True


def _with_eval_script(task: TaskInstance, image: str, script: str, log_dir: Path | None) -> str:
    from agentmt.environments.base import image_exists
    from agentmt.environments.images import TASK_REPOSITORY, _logged, _short_hash, _slug, docker_build

    tag = f"{TASK_REPOSITORY}:{_slug(task.instance_id)[:60]}-{_short_hash(image, script)}"
    if not image_exists(tag):
        with tempfile.TemporaryDirectory(prefix="agentmt-evalctx-") as tmp:
            (Path(tmp) / "eval.sh").write_text(script)
            (Path(tmp) / "Dockerfile").write_text(f"FROM {image}\nCOPY eval.sh {EVAL_SCRIPT_PATH}\n")
            _logged(lambda: docker_build(Path(tmp), tag, network_host=False), log_dir,
                    f"row-{_slug(task.instance_id)}.log")
    return tag
