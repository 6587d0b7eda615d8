"""How /testbed is installed so that the tests import the code under test, for every backend shape.

Guarantee of `make_install_command`: one shell command that tries, in order, PEP 660 (`pip install
-e`, the build hook's own requirements already in the env layer: `editable_build_requirements`),
then, where that has no hook (setuptools < 64 without setup.py, a distutils-only setup.py), a plain
install (metadata, entry points) plus a path install: a .pth that puts the project's import roots
in /testbed first on sys.path, so edits to /testbed are what the tests import; where no build
works at all, that .pth alone (no metadata).
"""

from __future__ import annotations

PEP660_INSTALL = "pip install --no-deps --no-build-isolation --use-pep517 -e ."
PLAIN_INSTALL = "pip install --no-deps --no-build-isolation --use-pep517 ."
# setuptools' shim (what pip ran before PEP 517): importing setuptools first gives a distutils-only
# setup.py the `develop` command, which plain distutils lacks
DEVELOP_INSTALL = ("python -c \"import setuptools, runpy, sys; sys.argv = ['setup.py', 'develop', '--no-deps']; "
                   "runpy.run_path('setup.py', run_name='__main__')\"")

# the import roots: /testbed, src/ or lib/ when a package or module there is also what the plain
# install put into site-packages; the .pth's import line runs at startup, before the tests import
# (one line: it is a Dockerfile RUN)
_PATH_INSTALL_SCRIPT = (
    "import os, sysconfig; sp = sysconfig.get_paths()['purelib']; "
    "skip = {'setup.py', 'conftest.py', 'tests', 'test', 'testing', 'docs', 'doc', 'build', 'dist', 'src'}; "
    "roots = [b for b in dict.fromkeys(os.path.abspath(x) for x in ('.', 'src', 'lib')) if os.path.isdir(b) "
    "and any(n not in skip and not n.startswith('.') and os.path.exists(os.path.join(sp, n)) "
    "for n in os.listdir(b))]; "
    "assert roots, 'the plain install put none of the project into ' + sp; "
    "open(os.path.join(sp, 'agentmt-testbed.pth'), 'w').write('import sys; sys.path[:0] = %r\\n' % roots); "
    "print('path install:', roots)"
)
assert not any(c in _PATH_INSTALL_SCRIPT for c in '"$`'), "the script is quoted for sh with double quotes"
PATH_INSTALL = f'{PLAIN_INSTALL} && python -c "{_PATH_INSTALL_SCRIPT}"'

# the last resort, when no build of the project works (marko 2020's backend `pdm.builders.api`
# imports pip internals today's pip no longer has): no metadata, only the import roots holding a
# package (a folder with __init__.py) on sys.path, which is what the tests import
_SOURCE_PATH_SCRIPT = (
    "import os, sysconfig; sp = sysconfig.get_paths()['purelib']; "
    "skip = {'tests', 'test', 'testing', 'docs', 'doc', 'build', 'dist'}; "
    "roots = [b for b in dict.fromkeys(os.path.abspath(x) for x in ('.', 'src', 'lib')) if os.path.isdir(b) "
    "and any(n not in skip and os.path.isfile(os.path.join(b, n, '__init__.py')) for n in os.listdir(b))]; "
    "assert roots, 'no package folder in /testbed, src or lib'; "
    "open(os.path.join(sp, 'agentmt-testbed.pth'), 'w').write('import sys; sys.path[:0] = %r\\n' % roots); "
    "print('source path install:', roots)"
)
assert not any(c in _SOURCE_PATH_SCRIPT for c in '"$`'), "the script is quoted for sh with double quotes"
SOURCE_PATH_INSTALL = f'python -c "{_SOURCE_PATH_SCRIPT}"'

# build backends whose PEP 660 hook needs more than the backend under --no-build-isolation:
# hatchling's and pdm-pep517's editable wheels import `editables` (get_requires_for_build_editable)
_EDITABLE_HOOK_REQUIRES = {"hatchling.build": ["editables"], "pdm.pep517.api": ["editables"]}


def editable_build_requirements(build_backend: str) -> list[str]:
    """What the backend's editable hook needs beside the backend itself (pure)."""
    return list(_EDITABLE_HOOK_REQUIRES.get(build_backend.strip(), []))


def make_install_command(first: str) -> str:
    """`first` (PEP 660 or setup.py develop), falling back to the plain + path install, then, when
    the project does not build at all, to the source path install."""
    return (f"( {first} ) || ( echo 'agentmt: no editable install, plain + path install'; {PATH_INSTALL} )"
            f" || ( echo 'agentmt: the project does not build, source path install'; {SOURCE_PATH_INSTALL} )")
