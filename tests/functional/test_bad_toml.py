"""Files that are not valid TOML, or valid but unusual: a clear error with its location, or a correct
edit; never a partial or rewritten file. The module runs for real; the file is compared byte for byte."""

import os
import re
import tomllib

import pytest

from helpers.runner import CORPUS, INVALID_CORPUS_FILE, write_conf

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.toml.engine import (
    TomlEditError,
    edit_ports,
)

SAMPLE = ('[server]\nhostname = "localhost"\n# offset  = 10\n\n'
          '[user_store]\ntype = "read_only_ldap"\n\n'
          '[keystore.primary]\nfile_name = "repository/resources/security/wso2carbon.jks"\n'
          'password = "wso2carbon"\nalias = "wso2carbon"\nkey_password = "wso2carbon"\n\n'
          '[transport.http]\nlistener.port = 8280  # pass-through\nsocket_timeout = 180000\n\n'
          '# [transport.jms]\n# sender_enable = true\n')


def snapshot(path):
    """Everything a rewrite would change: bytes, inode, mtime, and the folder's other files."""
    stat = os.stat(path)
    return path.read_bytes(), stat.st_ino, stat.st_mtime_ns, sorted(os.listdir(path.parent))


def refused(module_runner, path, args=None, **kwargs):
    """Run the module on a file it must refuse; return the message after checking nothing changed."""
    before = snapshot(path)
    result = module_runner('deployment_toml', dict({'path': str(path), 'ports': {'http': 8281}}, **(args or {})),
                           **kwargs)
    assert result.get('failed') is True and result['changed'] is False, result
    assert 'Traceback' not in result['_stderr'] and 'exception' not in result, result
    assert snapshot(path) == before, 'the refused file was rewritten'
    return result['msg']


INVALID = {
    'duplicate key': ('[transport.http]\nlistener.port = 8280\nlistener.port = 8281\n',
                      r'invalid TOML at line 3, .*Key "port" already exists'),
    'duplicate table': ('[server]\nhostname = "a"\n\n[transport.http]\nx = 1\n\n[server]\noffset = 3\n',
                        r'invalid TOML at line 7, column \d+: Key "server" already exists;'),
    'duplicate key, dotted and nested spelling': (
        '[transport.http]\nlistener.port = 8280\n\n[transport.http.listener]\nport = 8281\n',
        r'invalid TOML at line 4, column \d+: Redefinition of an existing table'),
    'duplicate key, top-level dotted and table': (
        'transport.http.listener.port = 8280\n\n[transport.http]\nlistener.port = 8281\n',
        r'invalid TOML at line 3, column \d+: Redefinition of an existing table'),
    'truncated inside a string': (SAMPLE[:SAMPLE.index('wso2carbon.jks') + 4],
                                  r'invalid TOML at the end of the file \(line 9\): Unexpected end of file;'),
    'truncated after a key': ('[server]\nhostname =',
                              r'invalid TOML at the end of the file \(line 2\): Unexpected end of file;'),
    'unclosed table header': ('[server]\nhostname = "x"\n[transport.http\nlistener.port = 8280\n',
                              r'invalid TOML at line 3\b'),
    'NUL byte': ('[server]\nhostname = "x\x00"\n', r'invalid TOML at line 2, column 14: Control characters'),
    'lone CR line ending': ('[server]\rhostname = "x"\r', r'invalid TOML at line 1, column 9: Control char'),
    'unicode escape of a surrogate': ('[server]\nhostname = "\\uD800"\n', r'invalid TOML at line 2\b.*unicode'),
    'BOM twice': ('\ufeff\ufeff[server]\n', r'invalid TOML at line 1\b'),
}


@pytest.mark.parametrize('name', sorted(INVALID))
def test_invalid_toml_is_refused_with_its_line(tmp_path, module_runner, name):
    text, expected = INVALID[name]
    path = write_conf(tmp_path, text)
    message = refused(module_runner, path)
    assert re.search(expected, message), message
    assert message.startswith(str(path)) and 'not changed' in message


@pytest.mark.skipif(not (CORPUS / INVALID_CORPUS_FILE).is_file(), reason='corpus folder is absent')
def test_real_deployment_full_toml_is_refused(tmp_path, module_runner):
    """MI's reference listing repeats keys: it is not TOML, and MI could not start with it."""
    path = write_conf(tmp_path, (CORPUS / INVALID_CORPUS_FILE).read_bytes())
    message = refused(module_runner, path, {'offset': 3})
    assert re.search(r'invalid TOML at line 992, column \d+: Key "ref" already exists', message), message


def test_every_truncation_is_refused_or_edited_correctly():
    """Cut the sample at every byte: tomllib decides whether the rest is TOML; the engine must agree,
    refusing with a line number, or edit it to exactly the intended model."""
    for cut in range(len(SAMPLE) + 1):
        text = SAMPLE[:cut]
        try:
            model = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            with pytest.raises(TomlEditError, match=r'invalid TOML at (line \d+, column \d+|the end of the file)'):
                edit_ports(text, {'http': 8281})
            continue
        result = edit_ports(text, {'http': 8281})
        model.setdefault('transport', {}).setdefault('http', {}).setdefault('listener', {})['port'] = 8281
        assert tomllib.loads(result.text) == model, cut


BAD_BYTES = {
    'invalid byte 0xff': b'[server]\nhostname = "local\xffhost"\n',
    'overlong encoding': b'[server]\n# \xc0\xaf\n',
    'encoded surrogate': b'[server]\nhostname = "\xed\xa0\x80"\n',
    'cut multi-byte character at the end': b'[server]\n# \xe6\x97',
    'UTF-16 file': '[server]\nhostname = "x"\n'.encode('utf-16'),
    'Latin-1 file': '[server]\nhostname = "Zürich"\n'.encode('latin-1'),
}


@pytest.mark.parametrize('name', sorted(BAD_BYTES))
def test_bad_unicode_is_refused_with_its_line(tmp_path, module_runner, name):
    data = BAD_BYTES[name]
    path = write_conf(tmp_path, data)
    message = refused(module_runner, path)
    line = data[:re.search(rb'[\x80-\xff]', data).start()].count(b'\n') + 1
    assert 'not UTF-8 text (invalid byte at line %d' % line in message, message


def edited(module_runner, path, args):
    result = module_runner('deployment_toml', dict({'path': str(path)}, **args))
    assert result.get('failed') is not True and result['changed'] is True, result
    return path.read_bytes()


def test_valid_unicode_is_kept_byte_for_byte(tmp_path, module_runner):
    text = SAMPLE.replace('"localhost"', '"mi-日本-zürich"  # ünïcode ✓')
    path = write_conf(tmp_path, text)
    after = edited(module_runner, path, {'ports': {'http': 8281}})
    assert after == text.replace('listener.port = 8280', 'listener.port = 8281').encode('utf-8')


@pytest.mark.parametrize('bom, newline', [('\ufeff', '\n'), ('\ufeff', '\r\n'), ('', '\r\n')])
def test_bom_and_crlf_are_kept_and_followed(tmp_path, module_runner, bom, newline):
    """A BOM stays; a CRLF file stays CRLF-only, also in the lines the edit adds."""
    text = bom + SAMPLE.replace('\n', newline)
    path = write_conf(tmp_path, text)
    after = edited(module_runner, path, {'ports': {'http': 8281, 'management_http': 9200}, 'offset': 3})
    expected = bom + (SAMPLE.replace('listener.port = 8280', 'listener.port = 8281')
                      .replace('# offset  = 10\n', '# offset  = 10\noffset = 3\n')
                      + '\n[mediation]\ninternal_http_api_port = 9200\n').replace('\n', newline)
    assert after == expected.encode('utf-8')
    assert b'\n' not in after.replace(b'\r\n', b'') or newline == '\n'


def test_mixed_line_endings_keep_every_existing_line(tmp_path, module_runner):
    text = '[server]\r\nhostname = "x"\n\r\n[transport.http]\nlistener.port = 8280\r\n'
    path = write_conf(tmp_path, text)
    after = edited(module_runner, path, {'ports': {'http': 8281, 'https': 8244}})
    assert after == text.replace('8280\r\n', '8281\r\nlistener.secured_port = 8244\n').encode('utf-8')


@pytest.mark.parametrize('text, expected', [
    ('', '[transport.http]\nlistener.port = 8281\n'),
    ('\n\n', '\n\n[transport.http]\nlistener.port = 8281\n'),
    ('# only a comment\n# and another', '# only a comment\n# and another\n\n[transport.http]\nlistener.port = 8281\n'),
    ('# comment\r\n\r\n', '# comment\r\n\r\n\r\n[transport.http]\r\nlistener.port = 8281\r\n'),
])
def test_empty_and_comment_only_files_get_the_key_and_keep_their_bytes(tmp_path, module_runner, text, expected):
    path = write_conf(tmp_path, text)
    assert edited(module_runner, path, {'ports': {'http': 8281}}) == expected.encode('utf-8')


def test_empty_file_without_a_change_is_not_rewritten(tmp_path, module_runner):
    path = write_conf(tmp_path, '')
    before = snapshot(path)
    result = module_runner('deployment_toml', {'path': str(path), 'ports': {'https': None}})
    assert result['changed'] is False and snapshot(path) == before


REORDERED = {
    # tomlkit would write the [[datasource]] entries together, moving [transport.http] below them (the port in an
    # inline table is an edit only tomlkit writes; a plain key line is edited as text: see the test below)
    'array of tables split by a table': (
        '[[datasource]]\nid = "A"\n\n[transport.http]\nlistener = { port = 8280 }\n\n[[datasource]]\nid = "B"\n',
        {'http': 8281}, 'cannot edit this file without moving other lines (tomlkit would move line 4'),
    # a new [transport.tcp] at the end would be written above [[datasource]], next to [transport.http]
}


def test_new_table_goes_before_a_trailing_array_of_tables(tmp_path, module_runner):
    """At the end of the file, tomlkit would move [transport.tcp] above [[datasource]]; placed after the last
    [transport.*] table instead, nothing moves."""
    path = write_conf(tmp_path, '[transport.http]\nlistener.port = 8280\n\n[[datasource]]\nid = "A"\n')
    assert edited(module_runner, path, {'ports': {'transport.tcp.listener.port': 8300, 'http': 8281}}) == (
        b'[transport.http]\nlistener.port = 8281\n\n[transport.tcp]\nlistener.port = 8300\n\n[[datasource]]\nid = "A"\n')


def test_plain_key_line_in_a_layout_tomlkit_would_reorder_is_edited_in_place(tmp_path, module_runner):
    """The port is a plain key line: it is edited as text, so nothing else moves and nothing is refused."""
    text = '[[datasource]]\nid = "A"\n\n[transport.http]\nlistener.port = 8280\n\n[[datasource]]\nid = "B"\n'
    path = write_conf(tmp_path, text)
    assert edited(module_runner, path, {'ports': {'http': 8281}}) == text.replace('8280', '8281').encode()


@pytest.mark.parametrize('name', sorted(REORDERED))
def test_layout_that_tomlkit_would_reorder_is_refused(tmp_path, module_runner, name):
    text, ports, expected = REORDERED[name]
    path = write_conf(tmp_path, text)
    message = refused(module_runner, path, {'ports': ports})
    assert expected in message, message
    assert module_runner('deployment_toml', {'path': str(path), 'ports': {'http': 8280}})['changed'] is False


def test_array_of_tables_extended_out_of_order_is_read_and_edited(tmp_path, module_runner):
    """Valid TOML that tomlkit cannot read as a whole (tomlkit issue 577): the file is read with tomllib and
    the new [mediation] table goes after the [[mediation.*]] tables, where tomlkit can parse it."""
    path = write_conf(tmp_path, '[[mediation.x]]\n\n[server]\n\n[[mediation.x.c]]\n')
    assert edited(module_runner, path, {'ports': {'management_http': 9200}}) == (
        b'[[mediation.x]]\n\n[server]\n\n[[mediation.x.c]]\n\n[mediation]\ninternal_http_api_port = 9200\n')
    info = module_runner('deployment_toml_info', {'path': str(path)})
    assert info['ports']['management_http']['port'] == 9210, info


def test_invalid_file_in_check_mode_is_refused_the_same_way(tmp_path, module_runner):
    path = write_conf(tmp_path, INVALID['duplicate key'][0])
    assert 'invalid TOML at line 3' in refused(module_runner, path, check=True, diff=True)


def test_info_module_refuses_invalid_toml_with_its_line(tmp_path, module_runner):
    path = write_conf(tmp_path, INVALID['duplicate table'][0])
    before = snapshot(path)
    result = module_runner('deployment_toml_info', {'path': str(path)})
    assert result['failed'] is True and 'invalid TOML at line 7, column 8' in result['msg'], result
    assert snapshot(path) == before


def _filled(lines):
    filler = ''.join('key_%06d = "%s"  # filler %d\n' % (n, 'v' * 60, n) for n in range(lines))
    return SAMPLE.replace('[transport.http]', '[x_filler]\n' + filler + '\n[transport.http]')


def test_three_megabyte_file_is_edited_in_place(tmp_path, module_runner):
    """A 3 MB file (under the 4 MiB limit) whose port key is on its last lines: one line changes, every other
    byte stays."""
    text = _filled(40000)
    assert 3 * 1024 * 1024 < len(text.encode('utf-8')) < 4 * 1024 * 1024
    path = write_conf(tmp_path, text)
    after = edited(module_runner, path, {'ports': {'http': 8281}})
    assert after == text.replace('listener.port = 8280', 'listener.port = 8281').encode('utf-8')


@pytest.mark.parametrize('module', ['deployment_toml', 'deployment_toml_info'])
def test_ten_megabyte_file_is_refused_before_it_is_read(tmp_path, module_runner, module):
    """Above 4 MiB (a deployment.toml is a few kB) the file is refused with the limit named, from its size,
    before a byte is read; the file is untouched."""
    text = _filled(115000)
    assert len(text.encode('utf-8')) > 10 * 1024 * 1024
    path = write_conf(tmp_path, text)
    before = snapshot(path)
    result = module_runner(module, {'path': str(path), 'ports': {'http': 8281}} if module == 'deployment_toml'
                           else {'path': str(path)})
    assert result['failed'] is True, result
    assert 'is %d bytes, more than the 4194304 bytes (4 MiB) this module reads' % len(text.encode('utf-8')) \
        in result['msg']
    assert snapshot(path) == before
