"""Layered task images: base → repository dependencies (env layer) → instance (/testbed).

Guarantees: tasks of one repository with the same inferred dependencies share one env image; an
instance image holds the repository at `/testbed` at `base_commit` with no later objects, refs,
tags or reflog entries, only the tags of its ancestors (see `build_testbed`); a failed build raises
`ImageBuildError` carrying its log; every image built carries this AGENTMT_HOME's label
(`agentmt.home`), and every image used is recorded with a last-used time so `prune_images` removes the
least recent of this home's own images, never another run's.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from agentmt import settings
from agentmt.environments import dockerapi
from agentmt.environments.base import image_exists
from agentmt.environments.dockerapi import ImageBuildError  # noqa: F401  (re-exported: builds raise it)
from agentmt.environments.logtext import clean_log, summarize_failure
from agentmt.environments.testbed import build_testbed
from agentmt.hashing import sha256_json
from agentmt.types import TaskInstance

HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
ENV_REPOSITORY = "agentmt-env"
TASK_REPOSITORY = "agentmt-task"
VENV = "/opt/venv"
UV_HOME = "/opt/agentmt-uv"
UV_VERSION = "0.13.9"  # the resolver is pinned too: a lock must not depend on when the image was built
LOCK_PATH = "/etc/agentmt/lock.txt"
ENV_LAYOUT = 4  # bump when make_env_dockerfile changes what an env image holds (part of its tag)
TESTBED = "/testbed"
HOME_LABEL = "agentmt.home"  # which AGENTMT_HOME built an image: prune_images removes only its own


@dataclass(slots=True)
class BuiltImage:
    tag: str
    image_id: str
    env_tag: str
    env_id: str
    seconds: float


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-.")[:80] or "x"


def _short_hash(*parts: object) -> str:
    return sha256_json(parts, 12)


def make_env_tag(task: TaskInstance, base: str) -> str:
    """Env image tag: one per repository × base × dependency set × pin date (or exact lock)."""
    r = task.install
    lock = install_lock(task)
    # an exact lock is the whole dependency set: tasks whose locks are equal share the image
    what = [lock] if lock else [r.get("dependencies"), r.get("test_dependencies"), r.get("build_dependencies"),
                                r.get("pin_date")]
    # in the key only when set: old tags stay
    extra = (["compiler"] if r.get("compiler") else []) + (["pip"] if r.get("resolver") == "pip" else [])
    extra += [r["system_commands"]] if r.get("system_commands") else []
    key = _short_hash(base, task.repo, r.get("python"), *what, ENV_LAYOUT, *extra)
    return f"{ENV_REPOSITORY}:{_slug(task.repo.replace('/', '__'))}-{key}"


def install_lock(task: TaskInstance) -> list[str]:
    """The exact set to install instead of resolving in the image: a lock the user gave (`given`) or
    one resolved on the host before the build (`resolved`, see resolve.py)."""
    r = task.install
    return list(r.get("lock") or []) if r.get("lock_source") in ("given", "resolved") else []


def make_requirements(task: TaskInstance) -> str:
    """requirements.txt the env layer resolves: build requirements, dependencies, test dependencies."""
    r = task.install
    build = list(r.get("build_dependencies") or ["setuptools"])
    if not any(re.match(r"wheel\b", b) for b in build):  # old setuptools builds editables with it
        build.append("wheel")
    reqs = [*build, *r.get("dependencies", []), *r.get("test_dependencies", [])]
    return "".join(f"{line}\n" for line in dict.fromkeys(reqs))


# A C toolchain and the interpreter's headers, for a dependency of the era that ships no wheel
# (pycrypto 2.6.1 never had one); added to the env layer only when a build failed for want of it.
# make too: an sdist that bundles a C library runs its configure + Makefile (uvloop's libuv)
COMPILER_PACKAGES = "gcc libc6-dev make python3-dev"
_NEEDS_COMPILER = re.compile(r"no acceptable C compiler|gcc: (?:command )?not found"
                             r"|unable to execute '[\w-]*gcc'|command '[\w-]*gcc' failed|Python\.h: No such file"
                             r"|No such file or directory: 'make'|make: (?:command )?not found")


def needs_compiler(log: str) -> bool:
    """Whether a failed env build failed because no C compiler (or no Python.h) was there (pure)."""
    return bool(_NEEDS_COMPILER.search(log))


def make_env_dockerfile(task: TaskInstance, base: str, with_ca: bool) -> str:
    """The env layer: a venv whose packages uv resolves as of the pin date (or installs from a lock);
    the resolved set is frozen to LOCK_PATH. The context holds requirements.txt (see make_requirements)."""
    r = task.install
    uv = f"{UV_HOME}/bin/uv"
    lines = [f"FROM {base}"]
    if with_ca:  # the package registry sits behind a proxy with its own CA (ENVIRONMENT.md)
        lines += ["COPY ca.crt /etc/agentmt/ca.crt",
                  "ENV PIP_CERT=/etc/agentmt/ca.crt REQUESTS_CA_BUNDLE=/etc/agentmt/ca.crt "
                  "SSL_CERT_FILE=/etc/agentmt/ca.crt"]
    lines += [
        "ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1 LANG=C.UTF-8 "
        "UV_NO_CACHE=1 UV_PYTHON_DOWNLOADS=never",
        *([f"RUN apt-get update -q && apt-get install -y -q --no-install-recommends {COMPILER_PACKAGES} "
           "&& rm -rf /var/lib/apt/lists/*"] if r.get("compiler") else []),
        # a row's system packages (rowsource.make_system_commands): this layer has the build network
        *(f"RUN {c}" for c in r.get("system_commands") or []),
        # uv lives in its own venv so that it never appears in (or changes) the project's lock
        f"RUN python3 -m venv {UV_HOME} && {UV_HOME}/bin/pip install -q uv=={UV_VERSION} && python3 -m venv {VENV}",
        f"ENV PATH={VENV}/bin:$PATH VIRTUAL_ENV={VENV}",
        # pip is the instance layer's installer (its `setup.py develop` fallback serves old
        # setuptools), not a dependency: the newest, so era-pinned setuptools still installs editably
        f"RUN {uv} pip install -q --python {VENV}/bin/python -U pip",
        "COPY requirements.txt /etc/agentmt/requirements.txt",
    ]
    pin = f" --exclude-newer {shlex.quote(r['pin_date'])}" if r.get("pin_date") else ""
    if install_lock(task):  # exact versions, nothing resolved
        lines.append(f"RUN {uv} pip install --python {VENV}/bin/python --no-deps --reinstall "
                     "-r /etc/agentmt/requirements.txt")
    elif r.get("resolver") == "pip":
        lines += make_pip_resolve_lines(r)
    else:
        # --upgrade: the venv comes seeded with the base's setuptools (66 on bookworm), which would
        # otherwise satisfy a bare `setuptools` and reject PEP 639 licences; resolved as of the pin
        lines.append(f"RUN {uv} pip install --python {VENV}/bin/python{pin} --upgrade -r /etc/agentmt/requirements.txt")
    lines += [
        f"RUN {uv} pip freeze --python {VENV}/bin/python > {LOCK_PATH}",
        f"LABEL agentmt.kind=env agentmt.repo={shlex.quote(task.repo)}",
    ]
    return "\n".join(lines) + "\n"


def make_pip_resolve_lines(recipe: dict) -> list[str]:
    """The env layer's install when uv refused the set (resolve.uv_refused): pip (the newest, which has
    `--uploaded-prior-to`) as of the pin date, after the lifted tooling (`pin_floors`) as of its own
    date; pip keeps what is installed, so the tooling stays at its floor."""
    pin, floors = recipe.get("pin_date"), recipe.get("pin_floors") or {}
    by_date: dict[str, list[str]] = {}
    for name, date in sorted(floors.items()):
        by_date.setdefault(date, []).append(name)
    lines = [f"RUN python -m pip install -q --upgrade --uploaded-prior-to {shlex.quote(date)} "
             + " ".join(map(shlex.quote, names)) for date, names in sorted(by_date.items())]
    cutoff = f" --uploaded-prior-to {shlex.quote(pin)}" if pin else ""
    # the env layer's pip is the newest; one without the option would ignore no date, it would fail late
    lines.insert(0, "RUN python -m pip help install | grep -q -- --uploaded-prior-to || "
                    "{ echo \"$(python -m pip --version) has no --uploaded-prior-to\" >&2; exit 1; }")
    # --upgrade only without floors: the venv's seeded setuptools must not satisfy a bare `setuptools`
    upgrade = "" if floors else " --upgrade"
    install = f"python -m pip install -q{upgrade}{cutoff} -r /etc/agentmt/requirements.txt"
    if floors:
        # an sdist's isolated build resolves its build requirements as of the pin date too, where pip's
        # default for a setup.py-only one (setuptools>=40.8.0, 2019) may not exist yet: such a set is
        # built again with the venv's own tooling, which the floors lifted to the interpreter's era
        install += f" || {install} --no-build-isolation"
    lines.append(f"RUN {install}")
    return lines


def make_task_tag(task: TaskInstance, env_tag: str) -> str:
    setup = task.install.get("setup_commands") or []  # in the key only when there are some: old tags stay
    key = _short_hash(env_tag, task.base_commit, task.install.get("install"), *([setup] if setup else []))
    return f"{TASK_REPOSITORY}:{_slug(task.instance_id)[:60]}-{key}"


SETUP_TIMEOUT_S = 3600  # one replayed setup command (environments/setup_agent.py) at build time


def make_setup_lines(commands: list[str]) -> list[str]:
    """One `RUN` per setup command, run by bash in /testbed as the setup agent ran it (exec form:
    a command may hold newlines and quotes)."""
    return [f"RUN {json.dumps(['timeout', '-k', '5', str(SETUP_TIMEOUT_S), 'bash', '-c', c])}" for c in commands]


def make_instance_label(task: TaskInstance) -> str:
    """The LABEL line every instance image ends with (the setup agent's replay images too)."""
    return f"LABEL agentmt.kind=instance agentmt.instance_id={shlex.quote(task.instance_id)}"


def make_task_dockerfile(task: TaskInstance, env_tag: str) -> str:
    lines = [f"FROM {env_tag}", f"COPY testbed {TESTBED}", f"WORKDIR {TESTBED}"]
    if task.install.get("install"):
        lines.append(f"RUN {task.install['install']}")
    lines += make_setup_lines(task.install.get("setup_commands") or [])
    lines.append(make_instance_label(task))
    return "\n".join(lines) + "\n"


def home_label() -> str:
    """This AGENTMT_HOME's value of HOME_LABEL (a hash: the path itself need not be shown)."""
    return sha256_json(str(settings.home().resolve()), 16)


def docker_build(context: Path, tag: str, *, network_host: bool) -> str:
    """Build `context` as `tag`, labelled with this home; returns its log, raises ImageBuildError with the
    log on failure."""
    from agentmt.environments.base import build_network

    # package installs need a network (env.build_network: the bridge, or the host's where asked or where the
    # daemon has no bridge); every other build, like every task container, gets none
    network = build_network() if network_host else "none"
    try:
        log = dockerapi.build(tag, network=network, context=str(context), labels={HOME_LABEL: home_label()})
    except ImageBuildError as e:
        e.log = clean_log(e.log)  # a build step's own colours: escapes in every line
        raise
    return clean_log(log)


RESOLUTION_FAILED = "resolution_failed"
# uv's resolver reports an unsatisfiable set with this line, then the reasons ("Because ...")
_NO_SOLUTION = re.compile(r"No solution found when resolving[^\n]*\n(?:.*\n){0,40}", re.IGNORECASE)
# pip's words for the same (the env layer's fallback resolver)
_PIP_NO_SOLUTION = re.compile(r"ERROR: (?:Could not find a version that satisfies|Cannot install|"
                              r"ResolutionImpossible)[^\n]*\n(?:.*\n){0,30}")


def build_failure(log: str) -> tuple[str, str]:
    """(drop reason, message) of a failed env/instance build: `resolution_failed` with the resolver's
    explanation when uv found no solution, else `install_error` with the log's error lines and tail (pure)."""
    m = _NO_SOLUTION.search(log) or _PIP_NO_SOLUTION.search(log)
    if m:
        text = m.group(0).split("The command '")[0].split("Removing intermediate")[0]
        return RESOLUTION_FAILED, text.strip()[:3000]
    return "install_error", summarize_failure(log)[-3000:]  # the cause is often far above the tail


def read_lock(tag: str) -> list[str]:
    """The frozen package set of an env image (`uv pip freeze` at build time), one requirement a line."""
    try:
        code, out = dockerapi.run_read(tag, "cat", [LOCK_PATH])
    except dockerapi.DockerCallError as e:  # an image without cat holds no readable lock either
        code, out = -1, str(e)
    if code != 0:
        raise ImageBuildError(f"{tag} holds no lock at {LOCK_PATH}", out)
    return [ln.strip() for ln in out.splitlines() if ln.strip()]


image_id = dockerapi.image_id


def build_env_image(task: TaskInstance, base: str, *, log_dir: Path | None = None) -> str:
    """The env image for `task` (built when missing); returns its tag."""
    from agentmt.environments.base import image_lock

    tag = make_env_tag(task, base)
    with image_lock(tag):  # tasks sharing the env image, built by two workers at once: built once
        if not image_exists(tag):
            _build_env_image(task, base, tag, log_dir)
    touch_image(tag)
    return tag


def _build_env_image(task: TaskInstance, base: str, tag: str, log_dir: Path | None) -> None:
    with tempfile.TemporaryDirectory(prefix="agentmt-envctx-") as tmp:
        ctx = Path(tmp)
        with_ca = HOST_CA_BUNDLE.exists()
        if with_ca:
            shutil.copy(HOST_CA_BUNDLE, ctx / "ca.crt")
        (ctx / "Dockerfile").write_text(make_env_dockerfile(task, base, with_ca))
        lock = install_lock(task)
        (ctx / "requirements.txt").write_text("".join(f"{x}\n" for x in lock) if lock else make_requirements(task))
        _logged(lambda: docker_build(ctx, tag, network_host=True), log_dir, f"env-{_slug(tag)}.log")


def build_task_image(task: TaskInstance, repo: str | Path, base: str, *, log_dir: Path | None = None) -> BuiltImage:
    """Build (or reuse) env and instance images for `task` from the local clone `repo`."""
    start = time.monotonic()
    env_tag = build_env_image(task, base, log_dir=log_dir)
    tag = make_task_tag(task, env_tag)
    if not image_exists(tag):
        with tempfile.TemporaryDirectory(prefix="agentmt-taskctx-") as tmp:
            ctx = Path(tmp)
            build_testbed(repo, task.base_commit, ctx / "testbed")
            (ctx / "Dockerfile").write_text(make_task_dockerfile(task, env_tag))
            # the instance layer installs from /testbed only, so it runs without a network
            _logged(lambda: docker_build(ctx, tag, network_host=False), log_dir,
                    f"task-{_slug(task.instance_id)}.log")
    touch_image(tag)
    return BuiltImage(tag, image_id(tag), env_tag, image_id(env_tag), time.monotonic() - start)


def _logged(fn, log_dir: Path | None, name: str) -> None:
    """Run a build, keeping its log under `log_dir` whether it succeeds or fails."""
    try:
        log = fn()
    except ImageBuildError as e:
        _keep_log(log_dir, name, e.log)
        raise
    _keep_log(log_dir, name, log)


def _keep_log(log_dir: Path | None, name: str, log: str) -> None:
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        (log_dir / name).write_text(log)


# ---------------------------------------------------------------------------------------------
# Disk cap: least recently used images are removed first


def _lru_path() -> Path:
    return settings.home() / "images" / "lru.json"


def _load_lru() -> dict[str, float]:
    path = _lru_path()
    return json.loads(path.read_text()) if path.exists() else {}


def touch_image(tag: str) -> None:
    """Record that `tag` was just built or used."""
    from agentmt.io import write_json

    data = _load_lru()
    data[tag] = time.time()
    write_json(_lru_path(), data)


def make_prune_list(last_used: dict[str, float], keep: int, *, spare_since: float | None = None) -> list[str]:
    """The tags to remove so that at most `keep` remain, least recently used first (pure); a tag used
    at or after `spare_since` is never among them, even when more than `keep` remain."""
    ordered = sorted(last_used, key=lambda t: last_used[t], reverse=True)
    return [t for t in reversed(ordered[keep:]) if spare_since is None or last_used[t] < spare_since]


def prune_images(max_task_images: int, max_env_images: int, keep_recent_s: float = 0.0) -> list[str]:
    """Remove this home's least recently used task images beyond the cap, then its unused env images;
    an image another home built (its HOME_LABEL differs) is neither counted nor removed, and one used
    in the last `keep_recent_s` seconds stays (a build of more tasks than the cap, or another run on the
    same home, is about to validate it); returns tags removed."""
    from agentmt.io import write_json

    data = {t: ts for t, ts in _load_lru().items() if image_exists(t)}
    mine = {t: ts for t, ts in data.items() if dockerapi.image_labels(t).get(HOME_LABEL) == home_label()}
    removed = []
    spare_since = time.time() - keep_recent_s if keep_recent_s > 0 else None
    for prefix, cap in ((TASK_REPOSITORY + ":", max_task_images), (ENV_REPOSITORY + ":", max_env_images)):
        group = {t: ts for t, ts in mine.items() if t.startswith(prefix)}
        for tag in make_prune_list(group, cap, spare_since=spare_since):
            # an env image still used by a kept task image cannot be removed; the daemon refuses
            if dockerapi.remove(tag):
                removed.append(tag)
                data.pop(tag, None)
    write_json(_lru_path(), data)
    return removed
