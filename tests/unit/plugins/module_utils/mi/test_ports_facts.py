"""The port model, one table row per fact of ../shared/MI-FACTS.md.

Each case is (deployment.toml as TOML text, JVM arguments, environment) -> what MI does. The expected
values are written out from MI-FACTS.md, not computed with the code under test.
"""

import tomllib

import pytest

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi import ports as mi_ports
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.listeners import check_port_key, classify
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.values import PortError
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.listeners import ALIASES


def model(toml='', jvm=None, env=None, inbound=None):
    return mi_ports.instance_model(tomllib.loads(toml), jvm, env, inbound)


def ports_of(result):
    """{name: (port, enabled)} of a model."""
    return dict((name, (entry['port'], entry['enabled'])) for name, entry in result['ports'].items())


# --- How MI reads its ports: the offset -------------------------------------------------------------
OFFSETS = [
    # (toml, jvm args, environment) -> (offset, source, http port)
    ('', None, None, 10, 'default', 8290),                              # template default 10
    ('[server]\n# offset  = 10\n', None, None, 10, 'default', 8290),    # shipped file: commented out
    ('[server]\noffset = 3\n', None, None, 3, 'file', 8283),            # a manual offset REPLACES the 10
    ('[server]\noffset = 10\n', None, None, 10, 'file', 8290),          # offset 10 gives the defaults
    ('[server]\noffset = "10"\n', None, None, 10, 'file', 8290),        # Puppet writes a string
    ('[server]\noffset = 3\n', '-Xmx1g -DportOffset=5', None, 5, 'jvm', 8285),        # JAVA_OPTS wins
    ('[server]\noffset = 3\n', ['start', '-DportOffset=6'], None, 6, 'jvm', 8286),    # a script argument wins
    ('', ['-DportOffset=1', '-DportOffset=2'], None, 2, 'jvm', 8282),  # the last -D wins, as in the JVM
    ('[server]\noffset = "$env{MI_OFFSET}"\n', None, {'MI_OFFSET': '4'}, 4, 'env', 8284),
    ('[server]\noffset = "$env{MI_OFFSET}"\n', None, None, None, 'env', None),         # unresolved, no error
    ('[server]\noffset = "$sys{off}"\n', '-Doff=7', None, 7, 'sys', 8287),
    ('[server]\noffset = "$sys{portOffset}"\n', '-DportOffset=8', None, 8, 'jvm', 8288),
    ('[server]\noffset = "${MI_OFFSET}"\n', None, {'MI_OFFSET': '4'}, 4, 'env', 8284),   # carbon.xml: ${} works
    ('[server]\noffset = "${MI_OFFSET}"\n', '-DMI_OFFSET=5', {'MI_OFFSET': '4'}, 5, 'sys', 8285),  # property first
    ('[server]\noffset = "${MI_OFFSET}"\n', None, None, None, 'file', None),
    ('[server]\noffset = "$ref{x.y}"\n[x]\ny = 2\n', None, None, 2, 'file', 8282),
]


@pytest.mark.parametrize('toml, jvm, env, offset, source, http', OFFSETS)
def test_offset_precedence_and_placeholders(toml, jvm, env, offset, source, http):
    result = model(toml, jvm, env)
    assert (result['offset'], result['offset_source'], result['ports']['http']['port']) == (offset, source, http)
    assert result['problems'] == []
    assert result['ports']['http']['resolved'] is (http is not None)


# --- Values: numbers, strings and placeholders -------------------------------------------------------
VALUES = [
    # stored value of [transport.http] listener.port -> (base, port, placeholder source)
    ('8281', 8281, 8291, None),
    ('"8281"', 8281, 8291, None),
    ('"08281"', 8281, 8291, None),                       # Integer.parseInt takes leading zeros
    ('"+8281"', 8281, 8291, None),                       # and, since Java 7, a leading sign
    ('"$env{HTTP_PORT}"', 8380, 8390, '$env{HTTP_PORT}'),
    ('"$sys{http.port}"', 8381, 8391, '$sys{http.port}'),
    ('"$ref{app.port}"', 8382, 8392, '$ref{app.port}'),
    ('"83$env{SUFFIX}"', 8399, 8409, '83$env{SUFFIX}'),   # substituted inside a string
    ('"$env{NOT_SET}"', None, None, '$env{NOT_SET}'),
    ('"$secret{http}"', None, None, '$secret{http}'),
    ('"$ref{app.missing}"', None, None, '$ref{app.missing}'),
]


@pytest.mark.parametrize('stored, base, port, source', VALUES)
def test_port_values_and_placeholders(stored, base, port, source):
    toml = '[app]\nport = 8382\n[transport.http]\nlistener.port = %s\n' % stored
    result = model(toml, '-Dhttp.port=8381', {'HTTP_PORT': '8380', 'SUFFIX': '99'})
    http = result['ports']['http']
    assert (http['base'], http['port'], http['source'], http['set_in_file']) == (base, port, source, True)
    assert result['problems'] == []


@pytest.mark.parametrize('stored, fragment', [
    ('" 8280 "', "is ' 8280 '; MI reads it with Integer.parseInt, which refuses blanks: write 8280"),
    ('"8280\\n"', "MI reads it with Integer.parseInt, which refuses blanks: write 8280"),
    ('"${HTTP_PORT}"', "is '${HTTP_PORT}': MI substitutes ${...} only in the offset; use $env{...} or $sys{...}"),
    ('"8280.0"', "is '8280.0'; a port must be an integer from 1 to 65535"),
    ('8280.0', 'is 8280.0; a port must be an integer'),
    ('"\uff18\uff12\uff18\uff10"', 'a port must be an integer'),   # full-width digits
    ('0', 'is 0; a port must be an integer from 1 to 65535'),
    ('65536', 'is 65536'),
    ('true', 'is True (a boolean)'),
    ('"$env{BAD}"', "is '$env{BAD}': the value of environment variable BAD is not a port from 1 to 65535 (not "
                    "shown: it may be a secret)"),                      # a resolved value is checked too, never quoted
    ('"-8280"', "is '-8280'; a port must be an integer from 1 to 65535"),
])
def test_values_mi_refuses_at_startup_are_problems_naming_the_key(stored, fragment):
    result = model('[transport.http]\nlistener.port = %s\n' % stored, env={'BAD': ' 80'})
    assert len(result['problems']) == 1
    assert result['problems'][0].startswith('transport.http.listener.') and fragment in result['problems'][0]
    assert result['ports']['http']['port'] is None


def test_a_reference_to_an_unset_listener_key_reads_mis_default():
    result = model('[transport.http]\nlistener.enable = false\n'
                   '[mediation]\ninternal_http_api_port = "$ref{transport.http.listener.parameter.port}"\n')
    assert (result['ports']['management_http']['base'], result['ports']['management_http']['port']) == (8280, 8290)
    assert result['problems'] == []


def test_a_reference_to_a_renamed_key_stops_mi():
    result = model('[mediation]\ninternal_http_api_port = "$ref{transport.http.listener.port}"\n')
    assert result['problems'] == [
        '$ref{transport.http.listener.port} stops MI: its config tool renames that key to '
        'transport.http.listener.parameter.port before references are resolved; write '
        '$ref{transport.http.listener.parameter.port}']


def test_the_offset_must_be_a_whole_number():
    assert model('[server]\noffset = 2.5\n')['problems'] == [
        'server.offset is 2.5; the offset must be a whole number (MI default 10)']
    assert model('[server]\noffset = "2147483648"\n')['problems'] == [
        "server.offset is '2147483648', beyond what Java's int holds; the offset must be a whole number (MI default 10)"]
    huge = '9' * 4301  # Python's int() refuses 4,300 digits and more: refused before any conversion
    assert model('[server]\noffset = "%s"\n' % huge)['problems'] == [
        "server.offset is a text of 4301 characters, beyond what Java's int holds; the offset must be a whole "
        "number (MI default 10)"]
    assert model('[server]\noffset = "%s"\n' % ('0' * 4300 + '3'))['offset'] == 3  # Integer.parseInt takes zeros
    assert 'Integer.parseInt' in model('[server]\noffset = " 3"\n')['problems'][0]
    assert model('[server]\noffset = "+3"\n')['offset'] == 3


def test_a_negative_offset_is_added_as_java_adds_it():
    result = model('[server]\noffset = -810\n')
    assert result['problems'] == [] and result['offset'] == -810
    assert {name: entry['port'] for name, entry in result['ports'].items()} == {
        'http': 7470, 'https': 7433, 'management_http': 8381, 'management_https': 8344}
    assert model('[server]\noffset = "-10"\n')['ports']['http']['port'] == 8270


def test_a_port_pushed_below_1_by_a_negative_offset_is_a_problem():
    assert model('[server]\noffset = -8243\n')['problems'] == [
        'transport.http.listener.secured_port 8243 + offset -8243 = 0 is below 1; raise the offset or the port']


def test_a_port_pushed_past_65535_by_the_offset_is_a_problem():
    assert model('[server]\noffset = 56000\n')['problems'] == []
    assert model('[server]\noffset = 57000\n')['problems'] == [
        'mediation.internal_http_api_port 9191 + offset 57000 = 66191 is above 65535; lower the offset or the port',
        'mediation.internal_https_api_port 9154 + offset 57000 = 66154 is above 65535; lower the offset or the port']


# --- The four documented listeners and when MI opens them ---------------------------------------------
LISTENERS = [
    # toml -> {alias: (effective port, enabled)}
    ('', {'http': (8290, True), 'https': (8253, True), 'management_http': (9201, True),
          'management_https': (9164, True)}),
    ('[transport.http]\nlistener.enable = false\n', {'http': (8290, False)}),
    ('[transport.http]\nlistener.secured_enable = false\n', {'https': (8253, False)}),
    ('[transport.http]\nlistener.secured_enable = "false"\n', {'https': (8253, False)}),
    ('[transport.http]\nlistener.enable = "$env{HTTP_ON}"\n', {'http': (8290, None)}),      # unknown
    ('[mediation]\ninternal_http_api_enable = false\n', {'management_http': (9201, False),
                                                         'management_https': (9164, False)}),
    ('[management_api]\nprotocols = "http"\n', {'management_http': (9201, True), 'management_https': (9164, False)}),
    ('[management_api]\nprotocols = "https"\n', {'management_http': (9201, True), 'management_https': (9164, True)}),
    ('[management_api]\nprotocols = "https"\n[readiness_probe]\nprotocols = "https"\n'
     '[liveness_probe]\nprotocols = "https"\n',
     {'management_http': (9201, False), 'management_https': (9164, True)}),
    ('[mediation]\ninternal_http_api_port = 9300\ninternal_https_api_port = "9301"\n',
     {'management_http': (9310, True), 'management_https': (9311, True)}),
]


@pytest.mark.parametrize('toml, expected', LISTENERS)
def test_enable_flags_and_protocols_decide_which_listeners_open(toml, expected):
    found = ports_of(model(toml))
    assert dict((alias, found[alias]) for alias in expected) == expected


@pytest.mark.parametrize('toml, jvm, exposure, apis', [
    ('', None, 'monitoring', ['management_api', 'readiness_probe', 'liveness_probe']),
    ('', '-DenablePrometheusApi=true', 'monitoring',
     ['management_api', 'readiness_probe', 'liveness_probe', 'prometheus_api']),
    ('[management_api]\nprotocols = "https"\n', None, 'monitoring', ['readiness_probe', 'liveness_probe']),
    ('[readiness_probe]\nprotocols = "https"\n[liveness_probe]\nprotocols = "https"\n', None,
     'management', ['management_api']),
    ('', '-DenableReadinessProbe=false -DenableLivenessProbe=false', 'management', ['management_api']),
])
def test_the_internal_http_port_is_the_health_check_and_metrics_port(toml, jvm, exposure, apis):
    entry = model(toml, jvm)['ports']['management_http']
    assert (entry['exposure'], entry['apis']) == (exposure, apis)


def test_bind_addresses_belong_to_the_pass_through_listeners_only():
    result = model('[transport.http]\nlistener.bind_address = "127.0.0.1"\nlistener.secured_bind_address = "::1"\n')
    assert [result['ports'][alias]['bind_address'] for alias in ALIASES] == ['127.0.0.1', '::1', None, None]


# --- Other ports and whether the offset applies ------------------------------------------------------
OTHERS = [
    # toml, jvm args -> {name: (port, enabled, offset applied)} (offset 3 in every case)
    ('', '-Desb.debug=true', {'mediation.synapse.command_debugger_port': (9005, True, False),
                              'mediation.synapse.event_debugger_port': (9006, True, False)}),
    ('', '-Desb.debug=super', {'mediation.synapse.command_debugger_port': (9005, True, False)}),
    ('[mediation]\nsynapse.command_debugger_port = 9105\n', None,
     {'mediation.synapse.command_debugger_port': (9105, False, False)}),   # only with -Desb.debug
    ('[transport.tcp]\nlistener.enable = true\nlistener.port = 8300\n', None,
     {'transport.tcp.listener.port': (8300, True, False)}),
    ('[transport.tcp]\nlistener.port = 8300\n', None, {'transport.tcp.listener.port': (8300, False, False)}),
    ('', '-DsynapseTest', {'synapseTestPort': (9008, True, False)}),
    ('', ['-DsynapseTest', '-DsynapseTestPort=9009'], {'synapseTestPort': (9009, True, False)}),
]


@pytest.mark.parametrize('toml, jvm, expected', OTHERS)
def test_other_listeners_and_whether_the_offset_applies(toml, jvm, expected):
    result = model('[server]\noffset = 3\n' + toml, jvm)
    found = dict((name, (e['port'], e['enabled'], e['offset_applied'])) for name, e in result['ports'].items())
    assert dict((name, found.get(name)) for name in expected) == expected
    assert result['problems'] == []


def test_no_debugger_or_unit_test_port_without_its_switch():
    assert sorted(model('')['ports']) == sorted(ALIASES)


def test_tcp_transport_enabled_without_a_port_is_a_problem():
    assert model('[transport.tcp]\nlistener.enable = true\n')['problems'] == [
        'axis2 TCP transport is enabled but has no port; set transport.tcp.listener.port']


INBOUND = [
    # (toml, endpoint) -> effective port with offset 3
    ('', {'name': 'h', 'port': 8085, 'protocol': 'http'}, 8085),
    ('[mediation]\ninbound.port_offset_enable = true\n', {'name': 'h', 'port': 8085, 'protocol': 'http'}, 8088),
    ('[mediation]\ninbound.port_offset_enable = true\n', {'name': 's', 'port': 8086, 'protocol': 'https'}, 8089),
    ('', {'name': 'w', 'port': 9095, 'protocol': 'ws'}, 9095),
    ('', {'name': 'w', 'port': 9095, 'protocol': 'ws', 'ws_use_port_offset': True}, 9098),
    ('[mediation]\ninbound.port_offset_enable = true\n', {'name': 'l', 'port': 9292, 'protocol': 'hl7'}, 9292),
]


@pytest.mark.parametrize('toml, endpoint, port', INBOUND)
def test_inbound_endpoints_take_the_offset_only_when_told(toml, endpoint, port):
    entry = model('[server]\noffset = 3\n' + toml, inbound=[endpoint])['ports']['inbound.%s' % endpoint['name']]
    assert (entry['port'], entry['exposure'], entry['enabled']) == (port, 'public', True)


NOTES = [
    ('transport.http.sender.proxy_port', 'outbound'),
    ('transport.http.sender.secured_proxy_port', 'outbound'),
    ('mediation.http_client.global_proxy_port', 'outbound'),
    ('opentelemetry.port', 'outbound'),
    ('transport.blocking.http.listener.port', 'no_listener'),
    ('monitoring.jmx.rmi_registry_port', 'no_listener'),
    ('monitoring.jmx.rmi_server_port', 'no_listener'),
    ('mediation.inbound.port_offset_enable', 'not_a_port'),
    ('transport.http.max_http_connection_per_host_port', 'not_a_port'),
    ('transport.https.listener.port', 'ignored'),
    ('transport.ws.listener.port', 'ignored'),
    ('transport.passthru.http.listener.port', 'legacy'),
    ('transport.foo.listener.port', 'unknown'),
]


@pytest.mark.parametrize('key, kind', NOTES)
def test_keys_that_name_a_port_but_open_no_listener_are_reported(key, kind):
    table, name = key.rsplit('.', 1)
    result = model('[%s]\n%s = 1234\n' % (table, name))
    assert [(note['key'], note['kind']) for note in result['notes']] == [(key, kind)]
    assert key not in result['ports'] and classify(key)[0] == kind


@pytest.mark.parametrize('key, accepted', [
    ('transport.http.sender.proxy_port', True), ('transport.blocking.http.listener.port', True),
    ('transport.foo.listener.port', True), ('mediation.inbound.port_offset_enable', False),
    ('transport.http.max_http_connection_per_host_port', False), ('transport.https.listener.port', False),
    ('transport.passthru.http.listener.port', False),
])
def test_which_keys_may_be_set_as_ports(key, accepted):
    if accepted:
        assert check_port_key(key) == key
    else:
        with pytest.raises(PortError, match='^%s is ' % key.replace('.', r'\.')):
            check_port_key(key)


# --- Running several MI instances on one host --------------------------------------------------------
def test_offsets_10_and_47_collide_on_effective_ports():
    maps = {'a': mi_ports.port_map({}, 10), 'b': mi_ports.port_map({}, 47)}
    assert mi_ports.port_conflicts(maps) == [
        {'port': 8290, 'first': 'a http', 'second': 'b https'},
        {'port': 9201, 'first': 'a management_http', 'second': 'b management_https'}]


def test_conflicts_cover_ports_without_offset_and_skip_disabled_listeners():
    tcp = {'transport.tcp.listener.enable': True, 'transport.tcp.listener.port': 8290}
    assert mi_ports.port_conflicts({'a': mi_ports.port_map({}), 'b': mi_ports.port_map(tcp, 20)}) == [
        {'port': 8290, 'first': 'a http', 'second': 'b transport.tcp.listener.port'}]
    off = mi_ports.port_map({'transport.http.listener.enable': False})
    assert mi_ports.port_conflicts({'a': off, 'b': mi_ports.port_map({'http': 8270}, 20)}) == []


def test_two_enabled_listeners_of_one_instance_on_one_port_is_a_problem():
    result = model('[transport.tcp]\nlistener.enable = true\nlistener.port = 8290\n')
    assert result['problems'] == ['transport.http.listener.port and transport.tcp.listener.port would both '
                                  'listen on 8290; give them distinct ports']
    assert model('[transport.tcp]\nlistener.port = 8290\n')['problems'] == []   # the TCP transport is off


@pytest.mark.parametrize('jvm_args', [{'a': 1}, 5])
def test_jvm_args_must_be_a_string_or_a_list(jvm_args):
    with pytest.raises(PortError, match='give a string'):
        model('', jvm_args)


def test_custom_transport_listeners_open_their_port():
    result = model('[[custom_transport.listener]]\nclass = "org.example.MyListener"\nprotocol = "custom"\n'
                   'parameter.port = 8700\n\n[[custom_transport.listener]]\nprotocol = "http2"\n'
                   'class = "org.apache.synapse.transport.passthru.PassThroughHttpListener"\nparameter.port = "8710"\n'
                   '\n[[custom_transport.listener]]\nprotocol = "nothing"\nclass = "x"\n')
    ports = result['ports']
    assert (ports['custom_transport.custom']['port'], ports['custom_transport.custom']['offset_applied']) == (8700, False)
    assert (ports['custom_transport.http2']['port'], ports['custom_transport.http2']['offset_applied']) == (8720, True)
    assert 'custom_transport.nothing' not in ports and result['problems'] == []
    assert model('[[custom_transport.listener]]\nprotocol = "p"\nparameter.port = "x"\n')['problems'] == [
        "custom_transport.p parameter.port is 'x'; a port must be an integer from 1 to 65535"]
