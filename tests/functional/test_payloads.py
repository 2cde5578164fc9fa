"""The AnsiballZ payload of every module holds exactly the collection's module_utils it imports.

Each module is run once by ansible (localhost, ANSIBLE_KEEP_REMOTE_FILES) with no arguments (it fails on its
required options, after the payload was built), the kept AnsiballZ wrapper is exploded, and the collection files
in it are compared with the closure of the module's own imports read from the source (ast): no sibling
shipped by a re-exporting __init__.py, nothing missing."""

import ast
import glob
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.runner import COLLECTIONS, MODULES, REPO

PACKAGE = 'ansible_collections.wso2ops.micro_integrator.plugins.module_utils'
MODULE_UTILS = REPO / 'plugins' / 'module_utils'


def _imports(path):
    """module_utils files (relative paths) that path imports directly."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PACKAGE):
            base = node.module[len(PACKAGE):].strip('.').split('.') if node.module != PACKAGE else []
            for alias in node.names:
                for parts in (base + [alias.name], base):  # `from pkg import module` or `from pkg.module import name`
                    candidate = MODULE_UTILS.joinpath(*parts).with_suffix('.py') if parts else None
                    if candidate and candidate.is_file():
                        found.add(candidate.relative_to(MODULE_UTILS).as_posix())
                        break
    return found


def expected_files(module):
    todo, seen = list(_imports(MODULES / (module + '.py'))), set()
    while todo:
        item = todo.pop()
        if item not in seen:
            seen.add(item)
            todo.extend(_imports(MODULE_UTILS / item))
    packages = {'__init__.py'}  # module_utils itself: AnsiballZ ships every ancestor package's init
    for item in seen:
        parts = item.split('/')[:-1]
        for depth in range(1, len(parts) + 1):
            packages.add('/'.join(parts[:depth] + ['__init__.py']))
    return seen | packages


def payload_files(module, tmp_path):
    remote = tmp_path / 'remote'
    env = dict(os.environ, ANSIBLE_KEEP_REMOTE_FILES='1', ANSIBLE_REMOTE_TMP=str(remote),
               ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS))
    ansible = Path(sys.executable).parent / 'ansible'
    subprocess.run([str(ansible), 'localhost', '-c', 'local', '-i', 'localhost,', '-e',
                    'ansible_python_interpreter=%s' % sys.executable, '-m', 'wso2ops.micro_integrator.' + module],
                   capture_output=True, text=True, timeout=120, check=False, env=env, cwd=tmp_path)
    (wrapper,) = glob.glob(str(remote / '*' / ('AnsiballZ_%s.py' % module)))
    subprocess.run([sys.executable, wrapper, 'explode'], capture_output=True, timeout=60, check=True,
                   cwd=os.path.dirname(wrapper))
    exploded = Path(os.path.dirname(wrapper)) / 'debug_dir' / PACKAGE.replace('.', '/')
    return set(p.relative_to(exploded).as_posix() for p in exploded.rglob('*.py')) if exploded.is_dir() else set()


@pytest.mark.parametrize('module', sorted(p.stem for p in MODULES.glob('*.py')))
def test_the_payload_holds_only_what_the_module_imports(module, tmp_path):
    expected = expected_files(module)
    assert expected, 'the module imports no module_utils: the test would prove nothing'
    assert payload_files(module, tmp_path) == expected
