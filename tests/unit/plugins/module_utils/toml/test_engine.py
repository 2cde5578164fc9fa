"""The deployment.toml engine: every spelling of a key, byte-exact edits, clear refusals."""

import tomllib

import pytest

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.toml.engine import (
    TomlEditError,
    edit_ports,
    unified_diff,
)
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.values import PortError

SHIPPED_HEAD = '[server]\nhostname = "localhost"\n# offset  = 10\n\n[keystore.primary]\npassword = "s3cr3t"\n'

SPELLINGS = {
    'dotted_in_table': ('[transport.http]\nlistener.port = 8280  # pass-through\nsocket_timeout = 180000\n',
                        '[transport.http]\nlistener.port = 8380  # pass-through\nsocket_timeout = 180000\n'),
    'nested_table': ('[transport.http.listener]\nport = 8280\n\n[mediation]\nfoo = 1\n',
                     '[transport.http.listener]\nport = 8380\n\n[mediation]\nfoo = 1\n'),
    'top_level_dotted': ('transport.http.listener.port = 8280\n\n[server]\nhostname = "x"\n',
                         'transport.http.listener.port = 8380\n\n[server]\nhostname = "x"\n'),
    'string_value': ('[transport.http]\nlistener.port = "8280"\n', '[transport.http]\nlistener.port = "8380"\n'),
    'inline_table': ('[transport]\nhttp = { listener = { port = 8280 } }\n',
                     '[transport]\nhttp = { listener = { port = 8380 } }\n'),
}


@pytest.mark.parametrize('name', sorted(SPELLINGS))
def test_edits_each_spelling_in_place(name):
    before, expected = SPELLINGS[name]
    result = edit_ports(before, {'http': 8380})
    assert result.text == expected
    assert result.changes[0]['key'] == 'transport.http.listener.port'
    assert result.effective_ports['http'] == 8390
    assert not edit_ports(result.text, {'http': 8380}).changed


@pytest.mark.parametrize('name', sorted(SPELLINGS))
def test_same_number_is_no_change_in_any_spelling(name):
    before = SPELLINGS[name][0]
    result = edit_ports(before, {'http': 8280})
    assert not result.changed and result.text == before and result.changes == []


@pytest.mark.parametrize('name', ['dotted_in_table', 'nested_table', 'top_level_dotted'])
def test_null_removes_the_key_so_the_default_applies(name):
    result = edit_ports(SPELLINGS[name][0], {'http': None})
    assert 'port' not in tomllib.loads(result.text).get('transport', {}).get('http', {}).get('listener', {})
    assert result.changes == [{'key': 'transport.http.listener.port', 'before': 8280, 'after': None}]
    assert result.effective_ports['http'] == 8290
    assert not edit_ports(result.text, {'http': None}).changed


def test_offset_goes_after_the_shipped_comment():
    result = edit_ports(SHIPPED_HEAD, offset=3)
    assert result.text == SHIPPED_HEAD.replace('# offset  = 10\n', '# offset  = 10\noffset = 3\n')
    assert result.offset == 3
    assert result.effective_ports == {'http': 8283, 'https': 8246, 'management_http': 9194, 'management_https': 9157}


def test_offset_without_comment_is_added_to_server():
    result = edit_ports('[server]\nhostname = "h"\n\n[user_store]\ntype = "x"\n', offset=11)
    assert result.text == '[server]\nhostname = "h"\noffset = 11\n\n[user_store]\ntype = "x"\n'


def test_missing_key_joins_its_existing_table():
    before = '[transport.http]\nsocket_timeout = 5 # ms\n\n[mediation]\nx = 1\n'
    result = edit_ports(before, {'https': 8443, 'management_http': 9300})
    assert result.text == ('[transport.http]\nsocket_timeout = 5 # ms\nlistener.secured_port = 8443\n\n'
                           '[mediation]\nx = 1\ninternal_http_api_port = 9300\n')


def test_missing_table_is_created_once_at_the_end():
    result = edit_ports(SHIPPED_HEAD, {'http': 8281, 'https': 8244, 'transport.tcp.listener.port': 8300})
    assert result.text == SHIPPED_HEAD + ('\n[transport.http]\nlistener.port = 8281\nlistener.secured_port = 8244\n'
                                          '\n[transport.tcp]\nlistener.port = 8300\n')
    assert not edit_ports(result.text, {'http': 8281, 'https': 8244, 'transport.tcp.listener.port': 8300}).changed


def test_missing_table_lands_after_the_last_table_of_its_group():
    before = ('[server]\nhostname = "h"\n\n[transport.tcp]\nx = 1\n# about mediation\n\n'
              '[mediation]\ny = 2\n\n[keystore.primary]\npassword = "s3cr3t"\n')
    result = edit_ports(before, {'http': 8281})
    assert result.text == before.replace('x = 1\n', 'x = 1\n\n[transport.http]\nlistener.port = 8281\n')


def test_implicit_parent_table_gets_a_header_of_its_own_without_the_childs_comment():
    before = '[server]\nhostname = "h"\n\n[transport.http.sender]  # outgoing calls\nx = 1\n'
    result = edit_ports(before, {'http': 8281})
    assert result.text == before + '\n[transport.http]\nlistener.port = 8281\n'
    assert result.text.count('# outgoing calls') == 1


def test_key_under_a_table_defined_by_dotted_keys_stays_a_dotted_key():
    result = edit_ports('[transport]\nhttp.sender.x = 1\n', {'http': 8281})
    assert result.text == '[transport]\nhttp.sender.x = 1\nhttp.listener.port = 8281\n'


def test_key_under_an_inline_table_nests_inline_tables():
    result = edit_ports('[transport]\nhttp = { sender = { x = 1 } }\n', {'http': 8281})
    assert tomllib.loads(result.text) == {'transport': {'http': {'sender': {'x': 1}, 'listener': {'port': 8281}}}}


def test_creates_a_document_from_nothing():
    result = edit_ports('', {'management_https': 9155}, offset=0)
    assert tomllib.loads(result.text) == {'mediation': {'internal_https_api_port': 9155}, 'server': {'offset': 0}}


def test_crlf_file_stays_crlf_and_bom_is_kept():
    before = '\ufeff[server]\r\nhostname = "h"\r\n# offset = 10\r\n'
    result = edit_ports(before, {'http': 8281}, offset=2)
    assert result.text.startswith('\ufeff')
    assert '\n' not in result.text.replace('\r\n', '')
    assert result.text.startswith('\ufeff[server]\r\nhostname = "h"\r\n# offset = 10\r\noffset = 2\r\n')


def test_string_offset_same_number_is_no_change():
    assert not edit_ports('[server]\noffset = "3"\n', offset=3).changed


def test_invalid_toml_names_line_and_column():
    with pytest.raises(TomlEditError, match=r'invalid TOML at line 3, column \d+'):
        edit_ports('[server]\nhostname = "x"\nport = = 1\n', {'http': 8281})


def test_duplicate_key_names_a_line():
    with pytest.raises(TomlEditError, match=r'invalid TOML at line 3, column \d+: Key "offset" already exists'):
        edit_ports('[server]\noffset = 1\noffset = 2\n', offset=3)


@pytest.mark.parametrize('text, ports, fragment', [
    ('[[transport.http]]\nx = 1\n', {'http': 8281}, 'transport.http is an array of tables, not a table'),
    ('transport = 5\n', {'http': 8281}, 'transport is a value, not a table'),
    ('server = [1, 2]\n', {}, 'server is an array, not a table'),
    ('[transport.http.listener.port]\nx = 1\n', {'http': 8281}, 'is a table, not a port value'),
])
def test_refuses_keys_that_are_not_single_values(text, ports, fragment):
    with pytest.raises(TomlEditError) as err:
        edit_ports(text, ports, offset=None if ports else 3)
    assert fragment in str(err.value)


@pytest.mark.parametrize('ports, offset, fragment', [
    ({'http': 8243, 'https': 8243}, None, 'would both listen on 8253'),
    ({}, 65600, 'above 65535'),
    ({'http': True}, None, 'boolean'),
    ({'bogus': 1}, None, 'unknown port alias'),
    ({'transport.http.bogus': 1}, None, 'does not name a port setting'),
])
def test_validation_happens_before_any_edit(ports, offset, fragment):
    with pytest.raises(PortError) as err:
        edit_ports(SHIPPED_HEAD, ports, offset)
    assert fragment in str(err.value)


def test_existing_bad_value_in_the_file_is_named():
    with pytest.raises(PortError, match="mediation.internal_http_api_port is 'x'"):
        edit_ports('[mediation]\ninternal_http_api_port = "x"\n', offset=3)


def test_diff_is_unified_with_line_numbers_and_no_context():
    before = SHIPPED_HEAD + '[transport.http]\nlistener.port = "8280"\n'
    result = edit_ports(before, {'http': 8281}, offset=3)
    assert unified_diff(before, result.text, result.changes) == (
        '--- deployment.toml\n+++ deployment.toml\n'
        '@@ -3,0 +4 @@\n+offset = 3\n'
        '@@ -8 +9 @@\n-listener.port = "8280"\n+listener.port = "8281"\n')


def test_diff_hides_a_changed_line_that_holds_other_values():
    before = '[transport]\nhttp = { listener = { port = 8280 }, keystore = { password = "s3cr3t" } }\n'
    result = edit_ports(before, {'http': 8281})
    diff = unified_diff(before, result.text, result.changes)
    assert 's3cr3t' in result.text and 's3cr3t' not in diff
    assert '@@ -2 +2 @@' in diff and 'not shown' in diff


@pytest.mark.parametrize('text', [
    't = {a = 1,\nb = 2}\n',           # an inline table over two lines
    't = {a = 1, b = 2,}\n',            # a trailing comma in an inline table
    't = 17:45\n',                      # a time without seconds
    't = ١٢\n',                          # non-ASCII digits
])
def test_documents_that_toml_1_0_refuses_are_refused_with_the_location(text):
    with pytest.raises(TomlEditError, match=r'invalid TOML at line \d+, column \d+: .*it was not changed'):
        edit_ports(text, {'http': 8281})


@pytest.mark.parametrize('stored', ['"$env{HTTP_PORT}"', '"$sys{http.port}"', '"$ref{transport.http.x}"',
                                    '"80$env{SUFFIX}"'])
def test_placeholders_are_kept_byte_for_byte_when_another_key_changes(stored):
    before = '[server]\noffset = "$env{MI_OFFSET}"  # from the unit\n\n[transport.http]\nlistener.port = %s\n' % stored
    result = edit_ports(before, {'https': 8244})
    assert result.text == before + 'listener.secured_port = 8244\n'
    assert result.offset is None and result.effective_ports['http'] is None


def test_a_placeholder_mi_cannot_read_in_a_port_key_is_refused_naming_it():
    before = '[transport.http]\nlistener.port = "${HTTP_PORT}"\n'
    with pytest.raises(PortError, match=r"transport.http.listener.port is '\$\{HTTP_PORT\}': MI substitutes"):
        edit_ports(before, {'https': 8244})
    assert edit_ports(before, {'http': 8281}).text == '[transport.http]\nlistener.port = "8281"\n'


def test_a_placeholder_is_replaced_only_when_its_key_is_set():
    before = '[transport.http]\nlistener.port = "$env{HTTP_PORT}"\n'
    result = edit_ports(before, {'http': 8281})
    assert result.text == '[transport.http]\nlistener.port = "8281"\n'
    assert result.changes == [{'key': 'transport.http.listener.port', 'before': '$env{HTTP_PORT}', 'after': '8281'}]


def test_placeholders_resolve_when_their_source_is_given():
    before = '[server]\noffset = "$env{MI_OFFSET}"\n[transport.http]\nlistener.port = "$sys{http.port}"\n'
    result = edit_ports(before, {'https': 8244}, jvm_args='-Dhttp.port=8380', environment={'MI_OFFSET': '2'})
    assert (result.offset, result.effective_ports['http'], result.effective_ports['https']) == (2, 8382, 8246)


@pytest.mark.parametrize('key, fragment', [
    ('mediation.inbound.port_offset_enable', 'a boolean'),
    ('transport.http.max_http_connection_per_host_port', 'a connection count'),
    ('transport.https.listener.port', 'MI ignores this key'),
    ('transport.passthru.http.listener.port', 'EI 6 key'),
    ('transport.http.listener.keystore.password', 'names a secret'),
])
def test_keys_that_are_not_ports_of_mi_4_are_refused_saying_what_they_are(key, fragment):
    with pytest.raises(PortError, match=fragment):
        edit_ports(SHIPPED_HEAD, {key: 8300})


# The two shapes of the toml-test valid documents that raised instead of editing or refusing: a table split in
# two by another table (tomlkit returns it as a proxy without a body), and a table that dotted keys define,
# re-declared by the header tomlkit writes when a key is added to it.
SPLIT_SERVER = {
    'header, then its sub-table after another table': '[server]\nh = 1\n[other]\nb = 1\n[server.x]\na = 1\n',
    'sub-table first, header after another table': '[server.x]\na = 1\n[other]\nb = 1\n[server]\nh = 1\n',
    'shipped comment, then a split': '[server]\n# offset = 10\n[x]\n[server.y]\nz = 1\n',
}


@pytest.mark.parametrize('name', sorted(SPLIT_SERVER))
def test_offset_into_a_table_split_by_another_table_is_edited(name):
    text = SPLIT_SERVER[name]
    result = edit_ports(text, {}, 3)
    assert tomllib.loads(result.text) == dict(tomllib.loads(text), server=dict(tomllib.loads(text)['server'], offset=3))
    assert [line for line in result.text.splitlines() if line not in text.splitlines()] == ['offset = 3']


@pytest.mark.parametrize('text, key', [
    ('[a]\nx.y = 1\n[a.x.z]\nk = 1\n', 'a.x.port'),
    ('[a]\nx.y.w = 1\n[a.x.y.z]\nk = 1\n', 'a.x.y.port'),
    ('[custom]\nlistener.y = 1\n[custom.listener.z]\nk = 1\n', 'custom.listener.port'),
])
def test_key_into_a_dotted_key_table_that_tomlkit_would_redeclare_is_refused(text, key):
    with pytest.raises(TomlEditError, match=r'tomlkit could not write this layout as planned \(%s\)' % key):
        edit_ports(text, {key: 9000})


@pytest.mark.parametrize('text', [
    '[transport.http.sender]  # outgoing calls\nx = 1\n[transport.http.listener]\ny = 1\n',
    '[transport.http.sender]  # outgoing calls\nx = 1\n\n[transport.http.listener]  # in\ny = 1\n\n[mediation]\nz = 1\n',
])
def test_table_under_a_commented_sub_table_header_is_edited_not_refused(text):
    """[transport.http] exists only through sub-table headers, one with a comment: tomlkit would print a header for
    it and move lines (the edit was refused); the keys are added to [transport.http.listener] as lines."""
    result = edit_ports(text, {'http': 8281, 'https': 8443})
    assert result.text == text.replace('y = 1\n', 'y = 1\nport = 8281\nsecured_port = 8443\n')
    assert result.effective_ports['http'] == 8291 and not edit_ports(result.text, {'http': 8281, 'https': 8443}).changed
