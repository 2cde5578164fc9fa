"""The docs name the test that proves each claim (README.md, docs/failure-behaviour.md): every test so named exists
in a test file of that name under tests/, so a claim cannot outlive the test that proved it."""

import ast
import re

import pytest

from helpers.runner import REPO

DOCS = [REPO / 'README.md', REPO / 'docs' / 'failure-behaviour.md']
# `test_file.py::test_name[...]`, and `::test_other` for another test of the file named last.
REFERENCE = re.compile(r'`(test_\w+\.py)?(?:::(test_\w+))?(?:\[[^`\]]*\])?`')


def named_tests():
    """(doc, file name, test name or None) for every reference in the docs."""
    found = []
    for doc in DOCS:
        for line in doc.read_text().splitlines():
            current = None
            for match in REFERENCE.finditer(line):
                current = match.group(1) or current
                if current and (match.group(1) or match.group(2)):
                    found.append((doc.name, current, match.group(2)))
    return found


def functions_of(name):
    """{test function names} of every file called name under tests/ (None when there is none)."""
    paths = list((REPO / 'tests').rglob(name))
    if not paths:
        return None
    return set(node.name for path in paths for node in ast.walk(ast.parse(path.read_text()))
               if isinstance(node, ast.FunctionDef) and node.name.startswith('test_'))


def test_the_docs_name_tests():
    assert len(named_tests()) > 100


@pytest.mark.parametrize('doc, filename, test', sorted(set(named_tests()), key=str))
def test_every_test_the_docs_name_exists(doc, filename, test):
    functions = functions_of(filename)
    assert functions is not None, '%s names %s, which is no file under tests/' % (doc, filename)
    assert test is None or test in functions, '%s names %s::%s, which does not exist' % (doc, filename, test)
