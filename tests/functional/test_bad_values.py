"""Wrong values, given to the module or found in the file: a clear error naming the key and the value,
and the file byte for byte as it was. Legal edge values are accepted. The module runs for real."""

import os

import pytest

from helpers.runner import write_conf
from helpers.core_versions import argument_error

BASE = ('[server]\nhostname = "localhost"\n# offset  = 10\n\n'
        '[keystore.primary]\npassword = "wso2carbon"\nkey_password = "wso2carbon"\n\n'
        '[transport.http]\nlistener.port = 8280  # pass-through\n')


def snapshot(path):
    stat = os.stat(path)
    return path.read_bytes(), stat.st_ino, stat.st_mtime_ns, sorted(os.listdir(path.parent))


# name: (args besides path, the file when not BASE, a fragment the message must contain)
REFUSED = {
    # ports given to the module
    'port 0': ({'ports': {'http': 0}}, None, 'transport.http.listener.port is 0; a port must be an integer from 1 to 65535'),
    'port 65536': ({'ports': {'http': 65536}}, None, 'transport.http.listener.port is 65536; a port must be'),
    'port -1': ({'ports': {'https': -1}}, None, 'transport.http.listener.secured_port is -1; a port must be'),
    'port "80a"': ({'ports': {'http': '80a'}}, None, "transport.http.listener.port is '80a'; a port must be"),
    'port ""': ({'ports': {'http': ''}}, None, "transport.http.listener.port is ''; a port must be"),
    'port true': ({'ports': {'http': True}}, None, 'transport.http.listener.port is True (a boolean)'),
    'port 8080.5': ({'ports': {'http': 8080.5}}, None, 'transport.http.listener.port is 8080.5; a port must be'),
    'port 8080.0': ({'ports': {'http': 8080.0}}, None, 'transport.http.listener.port is 8080.0; a port must be'),
    'port [8280]': ({'ports': {'http': [8280]}}, None, 'transport.http.listener.port is [8280]; a port must be'),
    'port {}': ({'ports': {'management_http': {'port': 1}}}, None, "mediation.internal_http_api_port is {'port': 1}"),
    # the offset given to the module
    'offset -9000': ({'offset': -9000}, None, 'transport.http.listener.port 8280 + offset -9000 = -720 is below 1'),
    'offset true': ({'offset': True}, None, 'server.offset is True (a boolean)'),
    'offset "abc"': ({'offset': 'abc'}, None, "argument 'offset' is of type str and we were unable to convert to int"),
    'offset 2.5': ({'offset': 2.5}, None, "argument 'offset' is of type float and we were unable to convert to int"),
    # null where it is not allowed (null is allowed for a port: it removes the key; and for the offset)
    # ansible-core 2.19 passes null to the module, which refuses it; 2.16's argument spec refuses it first
    'path null': ({'path': None}, None, ('no path given (it is empty or null)',
                                         "argument 'path' is of type NoneType and we were unable to convert to path")),
    'ports null': ({'ports': None}, None, "argument 'ports' is of type NoneType and we were unable to convert to dict"),
    'create null': ({'create': None}, None, "argument 'create' is of type NoneType"),
    # an offset or a port that puts an effective port past 65535
    'offset pushes a default port past 65535': (
        {'offset': 56345}, None, 'mediation.internal_http_api_port 9191 + offset 56345 = 65536 is above 65535'),
    'port plus default offset past 65535': (
        {'ports': {'http': 65530}}, None, 'transport.http.listener.port 65530 + offset 10 = 65540 is above 65535'),
    'offset pushes a stored port past 65535': (
        {'offset': 600}, BASE.replace('8280', '65000'), 'transport.http.listener.port 65000 + offset 600 = 65600'),
    # two listeners on one effective port
    'alias on the default port of another': (
        {'ports': {'http': 8243}}, None, 'transport.http.listener.port and transport.http.listener.secured_port '
                                         'would both listen on 8253'),
    'two aliases, same port': ({'ports': {'http': 9000, 'https': 9000}}, None, 'would both listen on 9010'),
    'alias on a port the file gives another': (
        {'ports': {'management_https': 8280}}, None, 'would both listen on 8290'),
    'alias and its dotted key': (
        {'ports': {'http': 8281, 'transport.http.listener.port': 8282}}, None, 'is given twice'),
    # unknown aliases and keys that are no port keys
    'unknown alias htp': ({'ports': {'htp': 8281}}, None,
                          "unknown port alias 'htp'; known aliases: http, https, management_http, management_https"),
    'unknown alias management_port': ({'ports': {'management_port': 9200}}, None,
                                      "unknown port alias 'management_port'; known aliases: http, https"),
    'alias in capitals': ({'ports': {'HTTP': 8281}}, None, "unknown port alias 'HTTP'"),
    'secret key': ({'ports': {'keystore.primary.password': 8281}}, None,
                   "key 'keystore.primary.password' names a secret, not a port"),
    'secret key containing "port"': ({'ports': {'sso.transport_password': 8281}}, None,
                                     "key 'sso.transport_password' names a secret, not a port"),
    'empty key part': ({'ports': {'transport..port': 8281}}, None, "port key 'transport..port' is not a dotted TOML key"),
    'space in key': ({'ports': {'transport.tcp listener.port': 8281}}, None, 'is not a dotted TOML key'),
    # dotted keys that run into something that is not a single table
    'dotted key into an array of tables': (
        {'ports': {'transport.jms.listener.port': 61616}},
        BASE + '\n[[transport.jms.listener]]\nname = "myQueueListener"\n',
        'transport.jms.listener.port: transport.jms.listener is an array of tables, not a table'),
    'alias into an array of tables': (
        {'ports': {'http': 8281}}, BASE.replace('[transport.http]', '[[transport.http]]'),
        'transport.http.listener.port: transport.http is an array of tables'),
    'dotted key through a value': (
        {'ports': {'https': 8244}}, BASE.replace('[transport.http]\nlistener.port = 8280', '[transport]\nhttp = "on"'),
        'transport.http.listener.secured_port: transport.http is a value, not a table'),
    'dotted key naming a table': (
        {'ports': {'transport.tcp.listener.port': 8300}}, BASE + '\n[transport.tcp.listener.port]\nvalue = 1\n',
        'transport.tcp.listener.port is a table, not a port value'),
    # bad values already in the file
    'file port "abc"': ({'offset': 3}, BASE.replace('8280', '"abc"'), "transport.http.listener.port is 'abc'"),
    'file port 0': ({'ports': {'https': 8244}}, BASE.replace('8280', '0'), 'transport.http.listener.port is 0'),
    'file port true': ({'offset': 3}, BASE.replace('8280', 'true'), 'transport.http.listener.port is True (a boolean)'),
    'file offset -9000': ({'ports': {'http': 8281}}, BASE.replace('# offset  = 10', 'offset = -9000'),
                          'transport.http.listener.port 8281 + offset -9000 = -719 is below 1'),
    'file offset past 65535': (
        {'ports': {'http': 8281}}, BASE.replace('# offset  = 10', 'offset = 60000'), 'is above 65535'),
    'file ports collide': ({'offset': 3}, BASE + '\n[mediation]\ninternal_http_api_port = 8280\n',
                           'would both listen on 8283'),
}


@pytest.mark.parametrize('name', sorted(REFUSED))
def test_wrong_value_is_refused_and_the_file_is_untouched(tmp_path, module_runner, name):
    args, text, fragment = REFUSED[name]
    path = write_conf(tmp_path, BASE if text is None else text)
    before = snapshot(path)
    result = module_runner('deployment_toml', dict({'path': str(path)}, **args), diff=True)
    assert result.get('failed') is True and result.get('changed', False) is False, result
    fragments = fragment if isinstance(fragment, tuple) else (fragment,)
    assert any(text in argument_error(result['msg']) for text in fragments), result['msg']
    assert 'Traceback' not in result['_stderr'] and 'diff' not in result
    assert snapshot(path) == before


# Edge values that are legal: accepted, and the result is what MI would read.
ACCEPTED = {
    'lowest port': ({'ports': {'http': 1}}, 'transport.http.listener.port', 1),
    'highest port with the default offset': ({'ports': {'http': 65525}}, 'transport.http.listener.port', 65525),
    'port as digit string': ({'ports': {'http': '8281'}}, 'transport.http.listener.port', 8281),
    'offset 0': ({'offset': 0}, 'server.offset', 0),
    'negative offset (MI adds it unchecked)': ({'offset': -810}, 'server.offset', -810),
    'lowest offset for the defaults': ({'offset': -8242}, 'server.offset', -8242),
    'highest offset for the defaults': ({'offset': 56344}, 'server.offset', 56344),
    'null port removes the key': ({'ports': {'http': None}}, 'transport.http.listener.port', None),
}


@pytest.mark.parametrize('name', sorted(ACCEPTED))
def test_legal_edge_value_is_accepted_once(tmp_path, module_runner, name):
    args, key, stored = ACCEPTED[name]
    path = write_conf(tmp_path, BASE)
    first = module_runner('deployment_toml', dict({'path': str(path)}, **args))
    assert first.get('failed') is not True and first['changed'] is True, first
    assert first['changes'] == [{'key': key, 'before': {'server.offset': None}.get(key, 8280), 'after': stored}]
    after = path.read_bytes()
    again = module_runner('deployment_toml', dict({'path': str(path)}, **args))
    assert again['changed'] is False and path.read_bytes() == after


def test_null_offset_leaves_the_file_alone(tmp_path, module_runner):
    path = write_conf(tmp_path, BASE)
    before = snapshot(path)
    result = module_runner('deployment_toml', {'path': str(path), 'offset': None})
    assert result['changed'] is False and result['offset'] == 10 and snapshot(path) == before
