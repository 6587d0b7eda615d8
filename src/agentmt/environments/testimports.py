"""What the code under test imports and no requirement provides: distributions a recipe adds.

Declared lists miss what tests need more often than they list too much: a test module the task's
own test patch adds imports a package nothing declared yet (arrow 2018: `import pytz`), the gold
patch starts importing a dependency it adds to `setup.py` (pytest-xdist 2020: psutil), or the tests
import a package declared only for older interpreters (starlette 2024: `typing_extensions;
python_version < '3.10'`, imported by a test module on 3.11).
Validation then drops the task as `no_tests_ran` with the module it could not import.

`unprovided_imports` reads the imports a plain run executes: module-level `import`/`from` statements
(including those under a module-level `if`/`else`, a version switch, but not those under
`try: ... except ImportError`, optional, or `if TYPE_CHECKING:`, never run) of the repository's test
files at the base commit, and of its other Python files where at least two files or an
`__init__.py` import the module (a single optional integration, `contrib/keras.py`, is not what the
tests need); documentation, examples, benchmarks and scripts aside; and the unindented imports the
gold and test patches add. A module counts as provided when it is the standard
library's, the repository's own (any file or folder of that name), the import name of a declared
requirement whose marker holds, or comes with one (`py` with pytest). The rest become requirements (a module's usual distribution
name where it differs); `buildtask` resolves with them and, when they cannot be resolved or built,
builds without them and says so on the task.
"""

from __future__ import annotations

import ast
import re
import sys
from collections import Counter
from pathlib import Path

from agentmt.environments.trust import requirement_name
from agentmt.testpaths import is_test_path

# folders whose code a test run does not import
_NOT_RUN = re.compile(r"(^|/)(docs?|examples?|extras|benchmarks?|bench|scripts|tools|ci|\.github|build|dist)/"
                      r"|^(setup|noxfile|fabfile|tasks|dodo)\.py$")
# Python 2's standard library names that Python 3 renamed or removed (tests of the era import them
# behind version checks the parser cannot follow)
_PY2_STDLIB = frozenset({
    "__builtin__", "StringIO", "cStringIO", "urllib2", "urlparse", "ConfigParser", "Queue", "httplib",
    "cPickle", "HTMLParser", "Cookie", "cookielib", "SocketServer", "thread", "commands", "exceptions",
    "md5", "sha", "sets", "new", "htmlentitydefs", "xmlrpclib", "BaseHTTPServer", "SimpleHTTPServer",
    "dummy_thread", "copy_reg", "repr", "UserDict", "UserList", "UserString", "anydbm", "dbhash",
    "future_builtins", "imp", "distutils", "asynchat", "asyncore", "smtpd",
})
# import name → distribution, where the distribution's normalised name is not the module's
IMPORT_TO_DIST = {
    "yaml": "pyyaml", "dateutil": "python-dateutil", "attr": "attrs", "pkg_resources": "setuptools",
    "_pytest": "pytest", "PIL": "pillow", "bs4": "beautifulsoup4", "sklearn": "scikit-learn",
    "jwt": "pyjwt", "OpenSSL": "pyopenssl", "Crypto": "pycryptodome", "serial": "pyserial",
    "dotenv": "python-dotenv", "multipart": "python-multipart", "git": "gitpython", "zmq": "pyzmq",
    "hamcrest": "pyhamcrest", "magic": "python-magic", "_cffi_backend": "cffi",
    "socks": "pysocks", "nacl": "pynacl", "jose": "python-jose", "slugify": "python-slugify",
    "Levenshtein": "python-levenshtein", "markdown_it": "markdown-it-py",
    "importlib_metadata": "importlib-metadata", "typing_extensions": "typing-extensions",
    "win32api": "pywin32", "win32con": "pywin32", "pythoncom": "pywin32", "gi": "pygobject",
    "railroad": "railroad-diagrams", "ruamel": "ruamel-yaml", "dns": "dnspython", "MySQLdb": "mysqlclient",
    "cpuinfo": "py-cpuinfo", "pyximport": "cython", "Cython": "cython", "skimage": "scikit-image",
    "cv2": "opencv-python", "ldap": "python-ldap", "memcache": "python-memcached", "Image": "pillow",
}
# namespace packages whose distribution the top-level name does not tell, and Python 2 backports
# that do not install on Python 3 (imported behind a switch the parser cannot read)
_NEVER_ADDED = frozenset({"backports", "zope", "google", "azure", "jaraco", "sphinxcontrib", "xstatic",
                          "functools32", "subprocess32", "ordereddict", "enum34", "futures"})
# modules that come with a distribution of another name that the environment always has
_COMES_WITH = {"py": "pytest", "_pytest": "pytest", "pytest": "pytest", "pkg_resources": "setuptools",
               "setuptools": "setuptools", "pip": "pip"}
MAX_ADDED = 8  # more than this many unprovided imports: the repository is read wrongly, add none


def _optional(handlers: list[ast.ExceptHandler]) -> bool:
    """Whether a `try` guards its imports (catches ImportError, one of its parents, or anything)."""
    for h in handlers:
        names = [h.type] if not isinstance(h.type, ast.Tuple) else list(h.type.elts)
        if h.type is None or any(isinstance(n, ast.Name) and n.id in
                                 ("ImportError", "ModuleNotFoundError", "Exception", "BaseException")
                                 for n in names):
            return True
    return False


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


_PY2_FLAGS = frozenset({"PY2", "IS_PY2", "PYTHON2", "PY27", "is_py2"})
_PY3_FLAGS = frozenset({"PY3", "IS_PY3", "PY3K", "PYTHON3", "is_py3"})
_COMPARE = {ast.Lt: lambda a, b: a < b, ast.LtE: lambda a, b: a <= b, ast.Gt: lambda a, b: a > b,
            ast.GtE: lambda a, b: a >= b, ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b}


def _version_info(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "version_info" and \
        isinstance(node.value, ast.Name) and node.value.id == "sys"


def _holds(test: ast.expr, python: tuple[int, ...] | None) -> bool | None:
    """Whether an `if` test about the interpreter holds on `python` (major, minor); None when the
    test is about something else or cannot be told (pure)."""
    if python is None:
        return None
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _holds(test.operand, python)
        return None if inner is None else not inner
    name = test.id if isinstance(test, ast.Name) else test.attr if isinstance(test, ast.Attribute) else ""
    if name in _PY2_FLAGS or name in _PY3_FLAGS:
        return name in _PY3_FLAGS
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and type(test.ops[0]) in _COMPARE):
        return None
    left, right = test.left, test.comparators[0]
    try:
        value = ast.literal_eval(right)
    except ValueError:
        return None
    if _version_info(left):  # sys.version_info >= (3, 10)
        have: object = python
    elif isinstance(left, ast.Subscript) and _version_info(left.value):  # sys.version_info[0] / [:2]
        index = left.slice
        if isinstance(index, ast.Constant) and isinstance(index.value, int):
            have = python[index.value] if index.value < len(python) else 0
        elif isinstance(index, ast.Slice) and index.lower is None and isinstance(index.upper, ast.Constant):
            have = python[:index.upper.value]
        else:
            return None
    elif isinstance(left, ast.Attribute) and left.attr == "major" and _version_info(left.value):
        have = python[0]
    else:
        return None
    if isinstance(value, tuple) != isinstance(have, tuple) or not isinstance(value, (tuple, int)):
        return None
    return _COMPARE[type(test.ops[0])](have, value)


def module_imports(source: str, python: str | None = None) -> set[str]:
    """Top-level names of the modules a plain import of `source` executes on `python` ("3.9"; None:
    every branch of an interpreter switch counts) (pure); empty when it does not parse as Python 3."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()
    version = tuple(int(x) for x in python.split(".")[:2]) if python else None
    found: set[str] = set()

    def walk(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Import):
                found.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                found.add(node.module.split(".")[0])
            elif isinstance(node, ast.If) and not _type_checking(node.test):
                holds = _holds(node.test, version)
                if holds is not False:
                    walk(node.body)
                if holds is not True:
                    walk(node.orelse)
            elif isinstance(node, ast.Try) and not _optional(node.handlers):
                walk(node.body)

    walk(tree.body)
    return found


_ADDED_IMPORT = re.compile(r"^\+(?:import|from)\s+([A-Za-z_]\w*)", re.MULTILINE)


def patch_imports(patch: str) -> set[str]:
    """Top-level modules of the unindented imports a unified diff adds (pure)."""
    return {m for m in _ADDED_IMPORT.findall(patch or "") if m not in ("__future__",)}


def repository_files(repo: str | Path, commit: str) -> list[str]:
    """Every file path of the tree at `commit`."""
    from agentmt.sources.gitproc import run_git

    proc = run_git(Path(repo), "ls-tree", "-r", "--name-only", "-z", commit)
    return [p for p in proc.stdout.decode("utf-8", "replace").split("\0") if p]


def local_names(paths: list[str]) -> set[str]:
    """Every file stem and folder name of the repository: what an import may find on its own path (pure)."""
    names: set[str] = set()
    for p in paths:
        parts = p.split("/")
        names.update(parts[:-1])
        names.add(parts[-1].split(".")[0])
    return names


def python_sources(repo: str | Path, commit: str, paths: list[str]):
    """(path, text) of each of `paths` at `commit`, read with one `git cat-file --batch`."""
    from agentmt.sources.gitproc import run_git

    if not paths:
        return
    spec = "".join(f"{commit}:{p}\n" for p in paths).encode()
    data, pos = run_git(Path(repo), "cat-file", "--batch", input=spec).stdout, 0
    for path in paths:  # blobs come back in the order asked; a missing one is a one-line header
        end = data.index(b"\n", pos)
        header = data[pos:end].split()
        pos = end + 1
        if len(header) < 3 or header[1] != b"blob":
            continue
        size = int(header[2])
        yield path, data[pos:pos + size].decode("utf-8", "replace")
        pos += size + 1


def run_time_files(paths: list[str]) -> list[str]:
    """The Python files of a tree that a test run may import: documentation, examples, benchmarks,
    scripts and the packaging and task files (setup.py, noxfile.py, ...) aside (pure)."""
    return [p for p in paths if p.endswith(".py") and not _NOT_RUN.search(p)]


def repository_imports(repo: str | Path, commit: str, python: str | None = None) -> tuple[set[str], set[str]]:
    """(modules a test run of the repository at `commit` imports, as the module docstring says;
    the repository's local names)."""
    paths = repository_files(repo, commit)
    tests: set[str] = set()
    code: Counter = Counter()
    for path, text in python_sources(repo, commit, run_time_files(paths)):
        found = module_imports(text, python)
        if is_test_path(path):
            tests |= found
        else:
            code.update({m: 2 if path.endswith("__init__.py") else 1 for m in found})
    return tests | {m for m, n in code.items() if n >= 2}, local_names(paths)


def _applies(line: str, python: str | None) -> bool:
    """Whether a requirement line's environment marker holds on CPython `python` under Linux."""
    from packaging.markers import InvalidMarker, Marker, UndefinedEnvironmentName

    if ";" not in line or not python:
        return True
    try:
        return Marker(line.split(";", 1)[1]).evaluate({
            "python_version": python, "python_full_version": f"{python}.0", "sys_platform": "linux",
            "platform_system": "Linux", "os_name": "posix", "implementation_name": "cpython",
            "platform_python_implementation": "CPython", "extra": ""})
    except (InvalidMarker, UndefinedEnvironmentName):
        return True


def _provided(modules: set[str], reqs: list[str], local: set[str], python: str | None) -> set[str]:
    have = {requirement_name(r) for r in reqs if _applies(r, python)}
    stdlib = set(sys.stdlib_module_names) | _PY2_STDLIB
    out = set()
    for m in modules:
        dist = requirement_name(IMPORT_TO_DIST.get(m, m))
        if m in stdlib or m in local or m in _NEVER_ADDED or dist in have or requirement_name(m) in have \
                or m.startswith("_") or _COMES_WITH.get(m) in have | {"setuptools", "pip"}:
            out.add(m)
    return out


def unprovided_imports(repo: str | Path, commit: str, patches: list[str], provided_by: list[str],
                       python: str | None = None, project: str = "") -> list[str]:
    """Distributions (requirement names) for the imports of the repository at `commit` and of
    `patches` that neither the standard library, the repository itself, nor `provided_by`
    (requirement lines whose marker holds on `python`) provides; [] when more than MAX_ADDED
    would be needed (the repository is then read wrongly)."""
    modules, local = repository_imports(repo, commit, python)
    for p in patches:
        modules |= patch_imports(p)
    reqs = [*provided_by, *([project] if project else [])]
    missing = sorted(modules - _provided(modules, reqs, local, python))
    if len(missing) > MAX_ADDED:
        return []
    return sorted({requirement_name(IMPORT_TO_DIST.get(m, m)) for m in missing})


def add_unprovided_imports(recipe: dict, repo: str | Path, commit: str, patches: list[str]) -> list[str]:
    """Append to an inferred recipe's test dependencies what the code under test imports and nothing
    provides (`unprovided_imports`), recorded as `imports_added`; returns them."""
    lists = ("build_dependencies", "dependencies", "test_dependencies")
    declared = [r for key in lists for r in recipe.get(key) or []]
    added = unprovided_imports(repo, commit, patches, declared, recipe.get("python"),
                               recipe.get("project_name") or "")
    if added:
        recipe["test_dependencies"] = [*(recipe.get("test_dependencies") or []), *added]
        recipe["imports_added"] = added
    return added
