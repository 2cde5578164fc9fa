"""Every deployment.toml of the public MI repository, edited for real by the module.

The corpus lives in ../shared beside the repository; the tests skip when it is absent (under CI=true they fail).
"""

import copy
import difflib
import re
import shutil
import tomllib

import pytest

from helpers.runner import INVALID_CORPUS_FILE, corpus_files, run_module

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.listeners import ALIASES

FILES = corpus_files()
KINDS = ('outbound', 'no_listener', 'not_a_port', 'ignored', 'legacy', 'unknown')
VALID = [path for path in FILES if path.name != INVALID_CORPUS_FILE]
EDIT = {'offset': 7, 'ports': {'http': 8380, 'management_https': 9300, 'transport.tcp.listener.port': 8500}}
KEYS = {'server.offset': 7, 'transport.http.listener.port': 8380, 'mediation.internal_https_api_port': 9300,
        'transport.tcp.listener.port': 8500}

pytestmark = pytest.mark.skipif(not FILES, reason='corpus folder ../shared/corpus/wso2-micro-integrator is absent')


def expected_model(model):
    """The parsed original with the edited keys set (a stored string stays a string)."""
    model = copy.deepcopy(model)
    for key, value in KEYS.items():
        node = model
        *tables, name = key.split('.')
        for table in tables:
            node = node.setdefault(table, {})
        node[name] = str(value) if isinstance(node.get(name), str) else value
    return model


def changed_lines_belong_to_edited_keys(before, after):
    """Lines that differ are only lines of edited keys, their new table headers, and blank separators."""
    names = tuple(key.split('.')[-1] for key in KEYS)
    if before and not before[-1].endswith('\n'):
        before = before[:-1] + [before[-1] + '\n']  # appending a table first ends the last line
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag == 'equal':
            continue
        for line in before[a1:a2] + after[b1:b2]:
            text = line.strip()
            ok = (not text or text.split('=')[0].strip().endswith(names)
                  or text in ('[transport.http]', '[mediation]', '[transport.tcp]', '[server]'))
            assert ok, 'unexpected change %r' % line


def test_corpus_has_the_72_valid_files_and_the_invalid_one():
    assert len(VALID) == 72 and len(FILES) == 73


@pytest.mark.parametrize('source', VALID, ids=lambda path: path.name[-70:])
def test_valid_file_is_edited_and_everything_else_kept(source, tmp_path):
    target = tmp_path / 'deployment.toml'
    shutil.copyfile(source, target)
    original = target.read_bytes()
    result = run_module('deployment_toml', dict(EDIT, path=str(target)), tmp_path=tmp_path)
    assert result.get('changed') is True, result
    edited = target.read_bytes()
    assert tomllib.loads(edited.decode()) == expected_model(tomllib.loads(original.decode()))
    changed_lines_belong_to_edited_keys(original.decode().splitlines(True), edited.decode().splitlines(True))
    assert result['effective_ports'] == {'http': 8387, 'https': 8250, 'management_http': 9198,
                                         'management_https': 9307}
    again = run_module('deployment_toml', dict(EDIT, path=str(target)), tmp_path=tmp_path)
    assert again['changed'] is False and target.read_bytes() == edited
    placeholders = [line for line in original.decode().splitlines(True) if re.search(r'\$(env|sys|ref|secret)?\{', line)]
    assert [line for line in edited.decode().splitlines(True) if line in placeholders] == placeholders


@pytest.mark.parametrize('source', VALID, ids=lambda path: path.name[-70:])
def test_valid_file_is_read_by_the_info_module(source, tmp_path):
    result = run_module('deployment_toml_info', {'path': str(source), 'environment': {}}, tmp_path=tmp_path)
    assert result.get('failed') is not True, result
    assert set(ALIASES) <= set(result['ports']) and result['offset_source'] in ('default', 'file', 'env', 'sys')
    assert all(note['kind'] in KINDS for note in result['notes'])
    for entry in result['ports'].values():
        assert entry['port'] is None or 1 <= entry['port'] <= 65535
    # One file of MI's own tests puts the TCP transport on 8290, where HTTP listens at the default offset
    # (MI's test framework starts it with another -DportOffset): reported, not a failure.
    assert result['problems'] == ([] if 'tests-transport__src__test__resources__artifacts__ESB__server__conf'
                                  not in source.name else [
        'transport.http.listener.port and transport.tcp.listener.port would both listen on 8290; '
        'give them distinct ports'])


def test_invalid_reference_file_is_refused_untouched(tmp_path):
    target = tmp_path / 'deployment.toml'
    shutil.copyfile(FILES[0].parent / INVALID_CORPUS_FILE, target)
    original = target.read_bytes()
    result = run_module('deployment_toml', dict(EDIT, path=str(target)), tmp_path=tmp_path)
    assert result['failed'] is True
    assert 'invalid TOML at line' in result['msg'] and 'already exists' in result['msg']
    assert target.read_bytes() == original
