"""What a repository's CI, tox, nox and packaging files declare, read statically (never executed).

Each `read_*` is pure: text in, a `Declared` out (requirements, test requirements, extras asked
for, a requires-python spec, supported Python versions, the test runner the commands use).
`make_recipe` merges them in order of trust: CI workflows, tox, nox, pyproject, setup.cfg,
setup.py, requirements files.
"""

from __future__ import annotations

import ast
import configparser
import re
from dataclasses import dataclass, field

from agentmt.environments.pins import PYTHON_RELEASES, stated_pythons
from agentmt.environments.testjobs import is_test_job, nox_sessions


@dataclass(slots=True)
class Declared:
    deps: list[str] = field(default_factory=list)
    test_deps: list[str] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)  # extras the test run installs (".[test]")
    extras_map: dict[str, list[str]] = field(default_factory=dict)  # extra name → requirements
    req_files: list[str] = field(default_factory=list)  # requirement files the test run installs
    python_spec: str = ""
    pythons: list[str] = field(default_factory=list)
    runner: str = ""  # pytest | unittest | django, when a test command names one
    build_deps: list[str] = field(default_factory=list)  # setup_requires: needed before setup.py runs
    name: str = ""  # the distribution's own name
    groups: list[str] = field(default_factory=list)  # dependency groups the test run installs (PEP 735)
    groups_map: dict[str, list] = field(default_factory=dict)  # group → requirements / {include-group}


# CI tools that never run inside a test run (uploaders, hook and env managers): not even a root
# requirements.txt makes them dependencies (starlette 2018 listed codecov, whose pre-2022 releases
# PyPI no longer serves)
NEVER_IN_TESTS = {"twine", "codecov", "coveralls", "python-coveralls", "pre-commit", "tox", "nox", "tox-gh-actions"}
# installers and CI tooling that CI steps install but the tests do not import
TOOLING = NEVER_IN_TESTS | {"pip", "setuptools", "wheel", "build", "virtualenv", "uv", "poetry", "hatch", "pdm", "flit"}


def requirement_lines(text: str) -> tuple[list[str], list[str]]:
    """(requirements, included files) of a requirements.txt; URLs, options and local paths skipped."""
    reqs, includes = [], []
    for line in text.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        m = re.match(r"-r\s*(\S+)|--requirement[= ]\s*(\S+)", line)
        if m:
            includes.append(m.group(1) or m.group(2))
        elif line and not line.startswith(("-", "git+", "http:", "https:", ".", "/")):
            reqs.append(line)
    return reqs, includes


def project_extras(text: str) -> list[str]:
    """The extras of the project itself that a requirements file installs (`-e .[full]`, `.[test]`)."""
    found = re.findall(r"^\s*(?:-e\s+|--editable[= ]\s*)?\.{1,2}/?\[([^\]]+)\]", text, re.M)
    return [x.strip() for group in found for x in group.split(",") if x.strip()]


# a PEP 508 direct reference (`name @ URL`) or a bare VCS/archive URL: code fetched from anywhere
_DIRECT_URL = re.compile(r"^\s*[\w.\-\[\], ]*@\s*\S+:|^\s*(?:git|hg|svn|bzr)\+|^\s*(?:https?|file|ftp):", re.I)
RECIPE_REQUIREMENTS = ("dependencies", "test_dependencies", "build_dependencies")


_NAMED_URL = re.compile(r"^\s*([A-Za-z0-9][\w.\-]*(?:\[[\w,\s.\-]*\])?)\s*@\s*\S+?(\s*;.*)?$")
_EGG = re.compile(r"#egg=([A-Za-z0-9][\w.\-]*)")


def index_name(line: str) -> str:
    """The named requirement a direct URL stands for (`trio @ git+https://...` → `trio`, `...#egg=x`
    → `x`, a marker kept), "" when it names none (pure)."""
    if m := _NAMED_URL.match(line):
        return m.group(1).strip() + (m.group(2) or "").rstrip()
    m = _EGG.search(line)
    return m.group(1) if m else ""


def refuse_direct_urls(recipe: dict, allow: bool) -> list[str]:
    """Remove direct URL requirements (`name @ URL`, `git+https://...`) from `recipe`'s requirement lists,
    unless `allow`, and record them in `refused_direct_urls`; returns them (the recipe is changed in place).
    One that names its distribution (anyio 2022's tests: `trio @ git+https://...@branch`) is taken from
    the index instead, as of the pin date, recorded in `index_instead` (buildtask takes it back out
    when the index has no such distribution or it does not build)."""
    if allow:
        return []
    refused, instead = [], []
    for key in RECIPE_REQUIREMENTS:
        reqs = recipe.get(key) or []
        kept = [r for r in reqs if not _DIRECT_URL.match(r)]
        urls = [r for r in reqs if _DIRECT_URL.match(r)]
        named = [n for n in map(index_name, urls) if n and n not in kept and n not in instead]
        refused += urls
        instead += named
        if urls:
            recipe[key] = kept + named
    if refused:
        recipe["refused_direct_urls"] = refused
    if instead:
        recipe["index_instead"] = instead
    return refused


def _runner_of(commands: str) -> str:
    if re.search(r"\bruntests\.py\b", commands):
        return "django"
    if re.search(r"\bpy\.?test\b", commands):
        return "pytest"
    if re.search(r"-m\s+unittest\b", commands):
        return "unittest"
    # `setup.py test` runs whatever test_suite/cmdclass names (often pytest): it says nothing
    return ""


# installer options whose value is the next word: a group, an extra, a requirements file, or
# something that is no requirement at all (an index, a constraint file, a target interpreter)
_VALUE_OPTIONS = {
    "-r": "req_files", "--requirement": "req_files",
    "--group": "groups", "--only-group": "groups", "--with": "groups", "--only": "groups", "-G": "groups",
    "-s": "groups", "--section": "groups",  # pdm before 1.5 called its groups sections
    "--extra": "extras", "--extras": "extras", "-E": "extras",
    **dict.fromkeys(("-c", "--constraint", "-i", "--index-url", "--extra-index-url", "-f", "--find-links",
                     "--python", "-p", "--target", "-t", "--prefix", "--root", "--platform",
                     "--python-version", "--implementation", "--abi", "--no-binary", "--only-binary",
                     "--upgrade-strategy", "--config-settings", "-C", "--index", "--default-index",
                     "--resolution", "--prerelease", "--exclude-newer", "--without", "--group-file"), ""),
}
# `pip install`, `uv pip install`, `uv sync`, `poetry install`, `pdm install/sync`
_INSTALL = re.compile(r"\b(?:pip3?\s+install|uv\s+sync|poetry\s+install|pdm\s+(?:install|sync))\b([^\n;&|]*)")


def _pip_installs(commands: str, out: Declared) -> None:
    """Extras, dependency groups, requirement files and packages named by install commands; the
    value of an option (`--group dev`, `--extra test`, `-c constraints.txt`) is never a package."""
    # a GitHub Actions expression is one word whatever its spaces (`pkg.git@${{ github.ref_name }}`)
    commands = re.sub(r"\$\{\{.*?\}\}", "$EXPR", commands)
    for m in _INSTALL.finditer(commands):
        args = [a.strip("'\"") for a in m.group(1).split()]
        i = 0
        while i < len(args):
            a = args[i]
            opt, eq, value = a.partition("=")
            if re.fullmatch(r"-[A-Za-z]{2,}", opt) and f"-{opt[-1]}" in _VALUE_OPTIONS:
                opt = f"-{opt[-1]}"  # a cluster of short flags whose last takes the value (pdm's -dG NAME)
            if opt in _VALUE_OPTIONS:
                if not eq:
                    value = args[i + 1] if i + 1 < len(args) else ""
                    i += 1
                kind = _VALUE_OPTIONS[opt]
                if kind == "req_files":
                    out.req_files.append(value)
                elif kind and value:
                    # pip's `--group path:name`, poetry's `--with a,b`, pdm's `-G a -G b`
                    names = [v.rsplit(":", 1)[-1].strip() for v in re.split(r"[,\s]+", value)]
                    getattr(out, kind).extend(n for n in names if n)
                i += 1
                continue
            # ".[test]" or "name[test]" (the project itself, as CI installs it): the extras count
            ex = re.match(r"(?:-e\s*)?[\w.\-]*\[([\w,.\- ]+)\]$", a)
            if ex:
                out.extras += [e.strip() for e in ex.group(1).split(",") if e.strip()]
            elif re.match(r"[A-Za-z][\w.\-]*([<>=!~]=?[\w.*]+)?$", a) and "$" not in a \
                    and re.split(r"[<>=!~]", a)[0].lower() not in TOOLING:
                out.test_deps.append(a)
            i += 1


def _version(value) -> str:
    """A matrix entry as "X.Y": YAML reads an unquoted 3.10 as the float 3.1."""
    if isinstance(value, float):
        text = f"{value:.2f}".rstrip("0")
        return text + "0" if text.endswith(".1") else text
    return str(value).strip()


def read_workflow(text: str) -> Declared:
    """A GitHub Actions workflow: the matrix's Python versions, what its steps install and run."""
    import yaml

    out = Declared()
    try:
        doc = yaml.safe_load(text) or {}
    except yaml.YAMLError:
        return out
    jobs = doc.get("jobs", {}) if isinstance(doc, dict) else {}
    for job_id, job in jobs.items() if isinstance(jobs, dict) else []:
        if not isinstance(job, dict):
            continue
        runs = "\n".join(str(s.get("run", "")) for s in job.get("steps") or [] if isinstance(s, dict))
        if not is_test_job(f"{job_id} {job.get('name') or ''}", runs):
            continue
        matrix = (job.get("strategy") or {}).get("matrix") or {}
        if isinstance(matrix, dict):
            for key in ("python-version", "python", "python_version", "py"):
                values = matrix.get(key) or []
                out.pythons += [_version(v) for v in values if isinstance(values, list)]
            for inc in matrix.get("include") or []:
                if isinstance(inc, dict):
                    out.pythons.append(_version(inc.get("python-version") or inc.get("python") or ""))
            out.pythons = [v for v in out.pythons if v in PYTHON_RELEASES]
        _pip_installs(runs, out)
        out.runner = out.runner or _runner_of(runs)
    return out


def read_tox(text: str) -> Declared:
    """tox.ini: envlist Pythons, the default [testenv]'s deps, extras and commands."""
    out = Declared()
    cp = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        cp.read_string(text)
    except configparser.Error:
        return out
    envs = expand_braces(cp.get("tox", "envlist", fallback=""))
    out.pythons = stated_pythons([" ".join(envs)])
    factors = _first_py3_env(envs)
    for raw in cp.get("testenv", "deps", fallback="").splitlines():
        cond = re.match(r"\s*(!?[\w.,{}\-!]+):\s", raw)
        if cond and not _factor_dep_applies(cond.group(1), factors):
            continue
        item = raw[cond.end():].strip() if cond else raw.strip()
        if item.startswith("-r"):
            out.req_files.append(item[2:].strip().replace("{toxinidir}/", ""))
        elif item and not item.startswith(("-", "{", ".", "git+", "http:", "https:")) and " @ " not in item:
            out.test_deps.append(item)
    raw = cp.get("testenv", "extras", fallback="")
    # factor prefixes ("py39: testing") select envs; the extra named is still the test run's
    out.extras = [n for n in (i.split(":")[-1].strip() for i in re.split(r"[\s,]+|\n", raw))
                  if re.fullmatch(r"[A-Za-z0-9][\w.-]*", n)]
    # tox 4.22's `dependency_groups = test` (PEP 735)
    out.groups = [n for n in re.split(r"[\s,]+", cp.get("testenv", "dependency_groups", fallback=""))
                  if re.fullmatch(r"[A-Za-z0-9][\w.-]*", n)]
    out.runner = _runner_of(cp.get("testenv", "commands", fallback=""))
    return out


# a factor that picks a version of something (py34, pytest28, django111): the matrix's axes, whose
# pins taken together are unsatisfiable; other factors (crypto, nocrypto) pick features
_VERSION_FACTOR = re.compile(r"[A-Za-z_]+\d+|py\w*")


def _first_py3_env(envs: list[str]) -> set[str]:
    """The factors of the envlist's first Python 3 env (the run tox makes first on Python 3)."""
    for env in envs:
        factors = set(env.split("-"))
        if any(re.fullmatch(r"py3\d*", f) for f in factors):
            return factors
    return set()


def _factor_dep_applies(cond: str, factors: set[str]) -> bool:
    """Whether a `cond: dep` line of [testenv] deps holds for the env with `factors`. Conditions on
    a version factor never do ("pytest28: pytest~=2.8" and "pytest30: ..." at once are unsatisfiable);
    feature factors do as tox reads them: `a,b` either, `a-b` both, `!a` not (pyjwt 2015's
    "crypto: cryptography" is what its tests of RSA and EC need)."""
    alternatives = [alt.split("-") for alt in cond.split(",")]
    if any(_VERSION_FACTOR.fullmatch(f.lstrip("!")) for alt in alternatives for f in alt):
        return False
    return any(all((f[1:] not in factors) if f.startswith("!") else (f in factors) for f in alt)
               for alt in alternatives)


def expand_braces(text: str) -> list[str]:
    """tox's generative envlist: "py{27,36}-x, docs" → ["py27-x", "py36-x", "docs"]."""
    out = []
    for item in re.split(r",(?![^{]*\})|\s+", text):
        parts = [item.strip()]
        while any("{" in p for p in parts):
            nxt = []
            for p in parts:
                m = re.search(r"\{([^{}]*)\}", p)
                nxt += [p[:m.start()] + o.strip() + p[m.end():] for o in m.group(1).split(",")] if m else [p]
            parts = nxt
        out += [p for p in parts if p]
    return out


def read_nox(text: str) -> Declared:
    """noxfile.py: session Pythons and what sessions install and run (read, not executed):
    `session.install(...)` arguments, `nox.project.dependency_groups(PYPROJECT, "test")` as groups."""
    out = Declared()
    out.pythons = sorted(set(re.findall(r"['\"](3\.\d+)['\"]", text)))
    body = "\n".join(code for name, code in nox_sessions(text) if is_test_job(name, code))
    for m in re.finditer(r"session\.(install|run_install|run)\(", body):
        args = _call_args(body, m.end())
        for g in re.finditer(r"dependency_groups\(", args):
            # the first argument is the parsed pyproject (`load_toml("pyproject.toml")`); names follow
            quoted = re.findall(r"['\"]([^'\"]+)['\"]", _call_args(args, g.end()))
            out.groups += [q for q in quoted if not q.endswith(".toml")]
        plain = re.sub(r"[\w.]*dependency_groups\((?:[^()]|\([^()]*\))*\)", "", args)
        words = " ".join(re.findall(r"['\"]([^'\"]+)['\"]", plain))
        _pip_installs(words if m.group(1) == "run" else "pip install " + words, out)
    out.runner = _runner_of(text)
    return out


def _call_args(text: str, start: int) -> str:
    """The argument text of a call whose `(` ends just before `start`, up to its matching `)`
    (nested calls and quoted parentheses included)."""
    depth, quote, i = 1, "", start
    while i < len(text) and depth:
        c = text[i]
        if quote:
            quote = "" if c == quote and text[i - 1] != "\\" else quote
        elif c in "'\"":
            quote = c
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        i += 1
    return text[start:i - 1] if not depth else text[start:i]


def _poetry_req(name: str, spec) -> str | None:
    marker = ""
    if isinstance(spec, dict):
        if spec.get("optional") or "git" in spec or "path" in spec or "url" in spec:
            return None
        # `python = "~2.7"` (a backport such as functools32) becomes a marker, as Poetry means it
        marker = _python_marker(str(spec.get("python") or ""))
        spec = spec.get("version", "*")
    if not isinstance(spec, str):
        return None
    return name + poetry_spec(spec) + (f"; {marker}" if marker else "")


def _python_marker(spec: str) -> str:
    """Poetry's `python = "~2.7 || ^3.4"` as a python_version marker; "" when it is not one."""
    alts = []
    for alt in spec.split("||"):
        bounds = [re.fullmatch(r"(<=|>=|<|>|==|!=)\s*(\d+(?:\.\d+)*)", b.strip())
                  for b in poetry_spec(alt).split(",") if b.strip()]
        if not bounds or None in bounds:
            return ""
        alts.append(" and ".join(f'python_version {m[1]} "{m[2]}"' for m in bounds))
    return alts[0] if len(alts) == 1 else " or ".join(f"({a})" for a in alts)


def poetry_spec(spec: str) -> str:
    """Poetry's version syntax ("^1.2", "~1.2", "1.2.*", "*") as a PEP 440 specifier."""
    out = []
    for part in (p.strip() for p in spec.split(",")):
        # a pre-/post-release suffix ("^20.8b1", black's only releases until 2022) stays in the low bound
        m = re.fullmatch(r"([\^~])\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?([-_.]?(?:a|b|rc|dev|post)\.?\d*)?", part)
        if part in ("", "*"):
            continue
        if not m:
            out.append(part if re.match(r"[<>=!~]", part) else f"=={part}")
            continue
        op, major, minor, patch = m.group(1), int(m.group(2)), m.group(3), m.group(4)
        low = ".".join(x for x in (str(major), minor, patch) if x is not None) + (m.group(5) or "")
        if op == "^":
            upper = (f"{major + 1}.0" if major or minor is None else
                     f"0.{int(minor) + 1}" if int(minor) or patch is None else f"0.0.{int(patch) + 1}")
        else:
            upper = f"{major}.{int(minor) + 1}" if minor is not None else f"{major + 1}.0"
        out.append(f">={low},<{upper}")
    return ",".join(out)


def read_pyproject(doc: dict) -> Declared:
    """PEP 621, Poetry, Hatch, PDM and PEP 735 dependency groups."""
    out = Declared()
    project = doc.get("project", {})
    out.name = str(project.get("name") or doc.get("tool", {}).get("poetry", {}).get("name") or "")
    out.deps += list(project.get("dependencies", []))
    out.extras_map.update(project.get("optional-dependencies", {}))
    out.python_spec = project.get("requires-python", "")
    out.pythons = stated_pythons(["\n".join(project.get("classifiers", []))])
    tool = doc.get("tool", {})
    poetry = tool.get("poetry", {})
    if poetry:
        for name, spec in poetry.get("dependencies", {}).items():
            if name.lower() == "python":
                out.python_spec = out.python_spec or poetry_spec(str(spec))
            elif (req := _poetry_req(name, spec)) is not None:
                out.deps.append(req)
        # Poetry's groups (`--with test`; the old dev-dependencies are its "dev" group)
        groups = {"dev": poetry.get("dev-dependencies", {}),
                  **{g: v.get("dependencies", {}) for g, v in poetry.get("group", {}).items() if isinstance(v, dict)}}
        for gname, reqs in groups.items():
            if isinstance(reqs, dict) and reqs:
                out.groups_map[gname] = [r for n, s in reqs.items() if (r := _poetry_req(n, s)) is not None]
        out.pythons += stated_pythons(["\n".join(poetry.get("classifiers", []))])
    for env in ("default", "test", "tests"):
        out.test_deps += list(tool.get("hatch", {}).get("envs", {}).get(env, {}).get("dependencies", []))
    # PDM's dev groups (`pdm install -G test`) and PEP 735's [dependency-groups] (`--group test`)
    for source in (tool.get("pdm", {}).get("dev-dependencies", {}), doc.get("dependency-groups", {})):
        if isinstance(source, dict):
            out.groups_map.update({g: list(v) for g, v in source.items() if isinstance(v, list)})
    return out


def group_requirements(groups_map: dict[str, list], name: str, seen: frozenset[str] = frozenset()) -> list[str]:
    """A dependency group's requirements with PEP 735 `{include-group = "..."}` entries expanded
    (names compared normalised; a cycle or an unknown group adds nothing)."""
    norm = {re.sub(r"[-_.]+", "-", k).lower(): v for k, v in groups_map.items()}
    key = re.sub(r"[-_.]+", "-", name).lower()
    if key in seen or key not in norm:
        return []
    out: list[str] = []
    for item in norm[key]:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict) and isinstance(item.get("include-group"), str):
            out += group_requirements(groups_map, item["include-group"], seen | {key})
    return out


_MARKER_START = re.compile(r"\s*(python_(full_)?version|sys_platform|platform_\w+|os_name|implementation_\w+|extra)\b")


def setup_cfg_requirements(value: str) -> list[str]:
    """A setup.cfg requirement list as setuptools reads it ("list-semi"): one per line when the value
    spans lines (a `;` there starts a marker), else the one line split at `;`. A part that is an
    environment marker (`colorama; platform_system == "Windows"` on one line, which setuptools only
    warns about) stays with the requirement before it."""
    if "\n" in value:
        return requirement_lines(value)[0]
    parts: list[str] = []
    for part in value.split(";"):
        if parts and _MARKER_START.match(part):
            parts[-1] = f"{parts[-1]};{part}"
        else:
            parts.append(part)
    return requirement_lines("\n".join(parts))[0]


def read_setup_cfg(text: str) -> Declared:
    out = Declared()
    cp = configparser.ConfigParser(interpolation=None)
    try:
        cp.read_string(text)
    except configparser.Error:
        return out
    out.deps = setup_cfg_requirements(cp.get("options", "install_requires", fallback=""))
    if cp.has_section("options.extras_require"):
        out.extras_map = {k: setup_cfg_requirements(v) for k, v in cp.items("options.extras_require")}
    out.test_deps = setup_cfg_requirements(cp.get("options", "tests_require", fallback=""))
    out.build_deps = setup_cfg_requirements(cp.get("options", "setup_requires", fallback=""))
    out.python_spec = cp.get("options", "python_requires", fallback="").strip()
    out.pythons = stated_pythons([cp.get("metadata", "classifiers", fallback="")])
    out.name = cp.get("metadata", "name", fallback="").strip()
    return out


def read_setup_py(text: str) -> Declared:
    """setup.py's literal arguments to setup() (names bound to literals at module level resolved)."""
    out = Declared()
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        m = re.search(r"python_requires\s*=\s*['\"]([^'\"]+)", text)
        out.python_spec = m.group(1) if m else ""
        return out
    names: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = _literal(node.value, names)
            if value is not None:
                names[node.targets[0].id] = value
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "setup"):
            continue
        for kw in node.keywords:
            value = _literal(kw.value, names)
            if kw.arg == "install_requires" and isinstance(value, (list, tuple)):
                out.deps = [str(v) for v in value]
            elif kw.arg == "tests_require" and isinstance(value, (list, tuple)):
                out.test_deps = [str(v) for v in value]
            elif kw.arg == "setup_requires" and isinstance(value, (list, tuple)):
                out.build_deps = [str(v) for v in value]
            elif kw.arg == "extras_require" and isinstance(value, dict):
                out.extras_map = {str(k): [str(r) for r in v] for k, v in value.items() if isinstance(v, (list, tuple))}
            elif kw.arg == "python_requires" and isinstance(value, str):
                out.python_spec = value
            elif kw.arg == "name" and isinstance(value, str):
                out.name = value
            elif kw.arg == "classifiers" and isinstance(value, (list, tuple)):
                out.pythons = stated_pythons(["\n".join(map(str, value))])
    return out


def _literal(node: ast.AST, names: dict[str, object]):
    """A literal value, with module-level names and `+` of lists resolved; None when not static."""
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [_literal(e, names) for e in node.elts]
        return None if any(i is None for i in items) else items
    if isinstance(node, ast.Dict):
        keys = [_literal(k, names) if k is not None else None for k in node.keys]
        values = [_literal(v, names) for v in node.values]
        return {k: v for k, v in zip(keys, values) if isinstance(k, str) and v is not None}
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal(node.left, names), _literal(node.right, names)
        return left + right if isinstance(left, list) and isinstance(right, list) else None
    try:
        return ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError):
        return None
