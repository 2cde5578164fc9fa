"""The MI stand-in (tests/hosts/mi-standin/mi_standin.py) run for real, outside molecule.

It is the independent check the molecule scenarios rely on, so it is tested against MI's rules
(tests/hosts/README.md), never against the collection's code (nothing of it is imported here).
"""

import json
import zipfile
from pathlib import Path

import pytest

from helpers.standin_process import StandIn, bare_answer, free_ports, http_get, refused, run_check, write_home

DEFAULT_PORTS = 'http=8290 https=8253 management_http=9201 management_https=9164'


@pytest.mark.parametrize('toml, args, env, expected', [
    ('', [], {}, 'offset=10 ' + DEFAULT_PORTS),
    ('[server]\noffset = 3\n', [], {}, 'offset=3 http=8283 https=8246 management_http=9194 management_https=9157'),
    ('[server]\noffset = "3"\n[transport.http]\nlistener.port = "8180"\n', [], {},
     'offset=3 http=8183 https=8246'),
    ('[transport.http.listener]\nport = 8180\n', [], {}, 'http=8190 https=8253'),
    # Placeholders: environment, system properties (-D arguments or JAVA_OPTS), references.
    ('[server]\noffset = "$env{MI_OFFSET}"\n', [], {'MI_OFFSET': '4'}, 'offset=4 http=8284'),
    ('[server]\noffset = "$sys{off}"\n', ['-Doff=5'], {}, 'offset=5 http=8285'),
    ('[server]\noffset = "$sys{off}"\n', [], {'JAVA_OPTS': '-Xmx1g -Doff=6'}, 'offset=6 http=8286'),
    ('[server]\noffset = "${off}"\n', ['-Doff=7'], {}, 'offset=7 http=8287'),
    ('[server]\noffset = "${MI_OFF}"\n', [], {'MI_OFF': '8'}, 'offset=8 http=8288'),
    ('[custom]\nport = 8100\n[transport.http]\nlistener.port = "$ref{custom.port}"\n', [], {}, 'http=8110'),
    ('[transport.http]\nlistener.secured_port = "1$ref{transport.http.listener.parameter.port}"\n', [], {},
     'http=8290 https=18290'),
    ('[mediation]\ninternal_http_api_port = "9$env{P}"\n', [], {'P': '300'}, 'management_http=9310'),
    # -DportOffset: an argument beats JAVA_OPTS, which beats the file; --debug drops JAVA_OPTS.
    ('[server]\noffset = 1\n', [], {'JAVA_OPTS': '-DportOffset=2'}, 'offset=2 '),
    ('[server]\noffset = 1\n', ['-DportOffset=3'], {'JAVA_OPTS': '-DportOffset=2'}, 'offset=3 '),
    ('[server]\noffset = 1\n', ['--debug', '5005'], {'JAVA_OPTS': '-DportOffset=2'}, 'offset=1 '),
    ('', ['--debug', '5005'], {}, DEFAULT_PORTS + ' jdwp=5005'),
    ('', [], {'JAVA_TOOL_OPTIONS': '-DportOffset=2', 'JAVA_OPTS': '-DportOffset=3'}, 'offset=3 '),
    ('', [], {'_JAVA_OPTIONS': '-DportOffset=2', 'JAVA_OPTS': '-DportOffset=3'}, 'offset=2 '),
    # Enable flags and the internal APIs that run.
    ('[transport.http]\nlistener.enable = false\n', [], {}, 'offset=10 https=8253 management_http=9201'),
    ('[transport.http]\nlistener.secured_enable = "false"\n', [], {}, 'http=8290 management_http=9201'),
    ('[mediation]\ninternal_http_api_enable = false\n', [], {}, 'http=8290 https=8253\n'),
    ('[management_api]\nprotocols = "http"\n', [], {}, 'http=8290 https=8253 management_http=9201\n'),
    ('[management_api]\nprotocols = "https"\n', [], {}, DEFAULT_PORTS + '\n'),
    ('[management_api]\nprotocols = "https"\n[readiness_probe]\nprotocols = "https"\n[liveness_probe]\n'
     'protocols = "https"\n', [], {}, 'http=8290 https=8253 management_https=9164\n'),
    ('[prometheus_api]\nprotocols = "https"\n[management_api]\nprotocols = "http"\n', ['-DenablePrometheusApi=true'],
     {}, DEFAULT_PORTS + '\n'),
    # Ports without offset: TCP transport when enabled, debugger ports with -Desb.debug, extra ports.
    ('[transport.tcp]\nlistener.enable = true\nlistener.port = 8300\n', [], {},
     DEFAULT_PORTS + ' transport.tcp.listener.port=8300\n'),
    ('[transport.tcp]\nlistener.port = 8300\n', [], {}, DEFAULT_PORTS + '\n'),
    ('', ['-Desb.debug=true'], {},
     DEFAULT_PORTS + ' mediation.synapse.command_debugger_port=9005 mediation.synapse.event_debugger_port=9006\n'),
    ('[mediation]\nsynapse.command_debugger_port = 9105\n', ['-Desb.debug=super'], {},
     'mediation.synapse.command_debugger_port=9105 mediation.synapse.event_debugger_port=9006\n'),
    ('', [], {'MISTANDIN_EXTRA_PORTS': '7777, 7778'}, DEFAULT_PORTS + ' extra=7777 extra=7778\n'),
])
def test_ports_follow_mi_rules(tmp_path, toml, args, env, expected):
    code, out, err = run_check(write_home(tmp_path / 'mi1', toml), args, env)
    assert code == 0, err
    assert out.startswith('instance=mi1 ')
    assert expected in out


@pytest.mark.parametrize('toml, args, env, refusal', [
    ('[transport.http]\nlistener.port = " 8280 "\n', [], {}, "transport.http.listener.port: ' 8280 ' is not a number"),
    ('[transport.http]\nlistener.port = "8280 "\n', [], {}, "'8280 ' is not a number"),
    ('[server]\noffset = 1.5\n', [], {}, 'offset: 1.5 is not a number'),
    ('[server]\noffset = "$env{MI_OFFSET}"\n', [], {}, 'Environment variable MI_OFFSET not defined in system'),
    ('[server]\noffset = "$sys{off}"\n', [], {}, 'Error while retrieving off system property'),
    ('[server]\noffset = "${nothing}"\n', [], {}, "'${nothing}' is not a number"),
    ('[transport.http]\nlistener.port = "${port}"\n', ['-Dport=8000'], {}, "'${port}' is not a number"),
    ('[transport.http]\nlistener.port = "$ref{custom.port}"\n', [], {}, "Configuration with key custom.port doesn't exist"),
    ('[transport.http]\nlistener.secured_port = "$ref{transport.http.listener.port}"\nlistener.port = 8000\n', [], {},
     'Configuration with key transport.http.listener.port doesn\'t exist (MI renames it to '
     'transport.http.listener.parameter.port)'),
    ('[a]\nx = "$ref{a.y}"\ny = "$ref{a.x}"\n', [], {}, "References can't be resolved for a.x, a.y"),
    # MI resolves every value of the file: an unrelated key stops the start too.
    ('[keystore.primary]\npassword = "$env{KEYSTORE_PASSWORD}"\n', [], {}, 'KEYSTORE_PASSWORD not defined'),
    ('[[datasource]]\nid = "WSO2_DB"\npassword = "$env{DB_PASSWORD}"\n', [], {}, 'DB_PASSWORD not defined'),
    ('[management_api]\nprotocols = "https  http"\n', [], {}, 'Unsupported Protocol found for Internal API'),
    ('[transport.http]\nlistener.secured_port = 8280\n', [], {}, 'port 8290 is used by both http and https'),
    ('[server]\noffset = 1\n[server]\noffset = 2\n', [], {}, 'invalid TOML'),
    ('', ['-DportOffset=x'], {}, "-DportOffset: 'x' is not a number"),
    ('', ['--debug'], {}, 'Please specify the debug port after the --debug option'),
])
def test_refuses_to_start_where_mi_does_not(tmp_path, toml, args, env, refusal):
    code, out, err = run_check(write_home(tmp_path / 'mi1', toml), args, env)
    assert code == 2, out
    assert 'refusing to start' in err and refusal in err, err


def test_missing_deployment_toml_refuses(tmp_path):
    (tmp_path / 'mi1').mkdir()
    code, _out, err = run_check(tmp_path / 'mi1')
    assert code == 2 and 'deployment.toml: file not found' in err


@pytest.mark.parametrize('env_file, expected', [
    ('MI_OFFSET=4\n', 'offset=4 '),
    ('  MI_OFFSET =  4  \n', 'offset=4 '),           # xargs trims key and value
    ('MI_OFFSET="4"\n', 'offset=4 '),                # and removes quotes
    ("# comment\nMI_OFFSET='4'\n", 'offset=4 '),
    ('MI_OFFSET=4\nMI_OFFSET=6\n', 'offset=6 '),     # exported in order: the last wins
    ('MI_OFFSET=5\nMI_OFFSET=4', 'offset=5 '),       # a last line without newline is not read
])
def test_env_file_is_read_like_mis_script(tmp_path, env_file, expected):
    home = write_home(tmp_path / 'mi1', '[server]\noffset = "$env{MI_OFFSET}"\n')
    (tmp_path / 'mi.env').write_text(env_file)
    code, out, err = run_check(home, ['--env-file=%s' % (tmp_path / 'mi.env')])
    assert code == 0, err
    assert expected in out


@pytest.mark.parametrize('env_file, refusal', [
    ('MI_OFFSET=" 4 "\n', "' 4 ' is not a number"),     # spaces inside quotes survive xargs
    ('MI_OFFSET="4\n', "'' is not a number"),            # unmatched quote: xargs prints nothing
    ('MI-OFFSET=4\n', 'bad variable name'),              # dash stops the script
    ('MI_OFFSET=4\r\n', "'4\\r' is not a number"),       # Windows line ends reach MI
])
def test_env_file_pitfalls_stop_the_start(tmp_path, env_file, refusal):
    home = write_home(tmp_path / 'mi1', '[server]\noffset = "$env{MI_OFFSET}"\n')
    (tmp_path / 'mi.env').write_text(env_file, newline='')
    code, _out, err = run_check(home, ['--env-file=%s' % (tmp_path / 'mi.env')])
    assert code == 2 and refusal in err, err


def test_missing_env_file_is_reported_and_the_start_goes_on(tmp_path):
    home = write_home(tmp_path / 'mi1', '')
    code, out, _err = run_check(home, ['--env-file=%s' % (tmp_path / 'missing.env')])
    assert code == 0
    assert "Error: File '%s' not found." % (tmp_path / 'missing.env') in out


@pytest.fixture
def running(tmp_path):
    """A stand-in on free ports (offset 5), started like the unit does, with an env file."""
    http, https, internal, internal_tls, extra = free_ports(5)
    home = write_home(tmp_path / 'mi1', (
        '[server]\noffset = "$env{MI_OFFSET}"\n'
        '[transport.http]\nlistener.port = %d\nlistener.secured_port = "%d"\n'
        '[mediation]\ninternal_http_api_port = "$sys{internal.port}"\ninternal_https_api_port = %d\n'
    ) % (http - 5, https - 5, internal_tls - 5))
    (tmp_path / 'mi.env').write_text('MI_OFFSET=5\n')
    args = ['-Dinternal.port=%d' % (internal - 5), '--env-file=%s' % (tmp_path / 'mi.env')]
    with StandIn(home, args, env={'MISTANDIN_EXTRA_PORTS': str(extra), 'JAVA_OPTS': '-Xmx64m -Dfrom.opts=1'}) as standin:
        standin.ports = {'http': http, 'https': https, 'management_http': internal,
                         'management_https': internal_tls, 'extra': extra}
        standin.home = home
        yield standin


def test_every_port_answers_with_instance_alias_and_port(running):
    for alias, port in running.ports.items():
        assert bare_answer(port) == 'mi-standin instance=mi1 alias=%s port=%d\n' % (alias, port)


def test_internal_http_port_serves_readiness_and_liveness(running):
    port = running.ports['management_http']
    status, headers, body = http_get(port, '/healthz')
    assert status.endswith(' 200 OK') and 'application/json' in headers
    assert json.loads(body) == {'version': '4.4.0-standin', 'update_level': 'null', 'status': 'ready'}
    status, _headers, body = http_get(port, '/liveness')
    assert status.endswith(' 200 OK') and json.loads(body) == {'server': 'started'}
    status, _headers, body = http_get(port, '/management/apis')
    assert status.endswith(' 200 OK') and body == 'mi-standin instance=mi1 alias=management_http port=%d\n' % port
    # Only the internal HTTP port serves the probes: the others answer their plain text.
    _status, _headers, body = http_get(running.ports['http'], '/healthz')
    assert body.startswith('mi-standin instance=mi1 alias=http ')


def test_listens_on_ipv4_only_like_mi(running):
    """MI's script passes -Djava.net.preferIPv4Stack=true: its JVM opens IPv4 sockets only."""
    for port in running.ports.values():
        assert refused(port, '::1')
        assert not refused(port, '127.0.0.1')


def test_shows_in_proc_like_mi(running):
    argv = Path('/proc/%d/cmdline' % running.pid).read_bytes().decode().split('\0')[:-1]
    environ = Path('/proc/%d/environ' % running.pid).read_bytes().decode().split('\0')
    assert '-Dcarbon.home=%s' % running.home in argv
    main = argv.index('org.wso2.micro.integrator.bootstrap.Bootstrap')
    # JAVA_OPTS before MI's own options, the script's arguments after the main class.
    assert argv.index('-Dfrom.opts=1') < argv.index('-Dcarbon.home=%s' % running.home) < main
    assert argv[main + 1:] == ['-Dinternal.port=%d' % (running.ports['management_http'] - 5),
                               '--env-file=%s' % (running.home.parent / 'mi.env')]
    assert 'MI_OFFSET=5' in environ  # exported from --env-file, as the script does


def test_internal_apis_disabled_close_both_internal_ports(tmp_path):
    http, https, internal, internal_tls = free_ports(4)
    home = write_home(tmp_path / 'mi1', (
        '[server]\noffset = 0\n[transport.http]\nlistener.port = %d\nlistener.secured_port = %d\n'
        '[mediation]\ninternal_http_api_enable = false\ninternal_http_api_port = %d\ninternal_https_api_port = %d\n'
    ) % (http, https, internal, internal_tls))
    with StandIn(home):
        assert not refused(http, '127.0.0.1') and not refused(https, '127.0.0.1')
        assert refused(internal, '127.0.0.1') and refused(internal_tls, '127.0.0.1')


def test_port_in_use_stops_the_start(tmp_path):
    home = write_home(tmp_path / 'mi1', (
        '[server]\noffset = 0\n[transport.http]\nlistener.port = %d\nlistener.secured_port = %d\n'
        '[mediation]\ninternal_http_api_port = %d\ninternal_https_api_port = %d\n') % tuple(free_ports(4)))
    with StandIn(home):
        with pytest.raises(AssertionError, match='cannot listen on port'):
            StandIn(home)


# -- deployed inbound endpoints (MI-FACTS "Ports from deployed artifacts"; artifacts written here and MI's corpus) --
SYNAPSE = 'http://ws.apache.org/ns/synapse'


def inbound_xml(name, protocol, parameters, suspend='false'):
    return ('<inboundEndpoint xmlns="%s" name="%s" protocol="%s" suspend="%s"><parameters>%s</parameters>'
            '</inboundEndpoint>' % (SYNAPSE, name, protocol, suspend, ''.join(
                '<parameter name="%s">%s</parameter>' % item for item in parameters.items())))


def deploy_file(home, name, xml):
    folder = home / 'repository/deployment/server/synapse-configs/default/inbound-endpoints'
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(xml)


def deploy_capp(home, name, artifact, xml):
    folder = home / 'repository/deployment/server/carbonapps'
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(folder / name, 'w') as archive:
        archive.writestr('artifacts.xml', '<artifacts><artifact name="app" version="1.0.0" type="carbon/application">'
                         '<dependency artifact="%s" version="1.0.0" include="true"/></artifact></artifacts>' % artifact)
        archive.writestr('%s_1.0.0/artifact.xml' % artifact, '<artifact name="%s" version="1.0.0" type="synapse/'
                         'inbound-endpoint"><file>%s-1.0.0.xml</file></artifact>' % (artifact, artifact))
        archive.writestr('%s_1.0.0/%s-1.0.0.xml' % (artifact, artifact), xml)


def test_inbound_endpoints_take_the_offset_as_mi_gives_it(tmp_path):
    home = write_home(tmp_path / 'mi1', '[server]\noffset = 3\n[mediation]\ninbound.port_offset_enable = true\n')
    deploy_file(home, 'h.xml', inbound_xml('H', 'http', {'inbound.http.port': '8081'}))
    deploy_file(home, 'w.xml', inbound_xml('W', 'ws', {'inbound.ws.port': '9078'}))
    deploy_file(home, 'w2.xml', inbound_xml('W2', 'wss', {'inbound.ws.port': '9079', 'ws.use.port.offset': 'true'}))
    deploy_file(home, 'l.xml', inbound_xml('L', 'hl7', {'inbound.hl7.Port': '$SYSTEM:HL7_PORT'}))
    deploy_file(home, 's.xml', inbound_xml('S', 'http', {'inbound.http.port': '8085'}, suspend='true'))
    deploy_file(home, 'j.xml', inbound_xml('J', 'jms', {'interval': '1000'}))
    deploy_capp(home, 'c.car', 'C', inbound_xml('C', 'httpws', {'port': '5055'}))
    code, out, err = run_check(home, env={'HL7_PORT': '20001'})
    assert code == 0, err
    assert out.strip().endswith('inbound.H=8084 inbound.L=20001 inbound.W=9078 inbound.W2=9082 inbound.C=5055')


def test_mis_corpus_capps_bind_their_endpoint(tmp_path):
    home = write_home(tmp_path / 'mi1', '')
    folder = home / 'repository/deployment/server/carbonapps'
    folder.mkdir(parents=True)
    corpus = Path(__file__).resolve().parents[3] / 'shared/corpus/wso2-micro-integrator-artifacts/carbonapps'
    for name in ('integration__mediation-tests__tests-service__ESB__car__HealthCareCompositeExporter_1.0.0.car',
                 'integration__mediation-tests__tests-other__ESB__versionedDeployment__beta1_1.0.0.car'):
        (folder / name).write_bytes((corpus / name).read_bytes())
    code, out, err = run_check(home)
    assert code == 0, err
    assert out.strip().endswith('inbound.TestInbound=7878 inbound.httpInboundEP=8697')  # sorted file names


def test_a_second_endpoint_on_a_held_port_is_undeployed_and_mi_starts(tmp_path):
    http, https, internal, internal_tls, free = free_ports(5)
    home = write_home(tmp_path / 'mi1', (
        '[server]\noffset = 0\n[transport.http]\nlistener.port = %d\nlistener.secured_port = %d\n'
        '[mediation]\ninternal_http_api_port = %d\ninternal_https_api_port = %d\n') % (http, https, internal,
                                                                                       internal_tls))
    deploy_file(home, 'a.xml', inbound_xml('First', 'http', {'inbound.http.port': str(free)}))
    deploy_file(home, 'b.xml', inbound_xml('Second', 'hl7', {'inbound.hl7.Port': str(free)}))
    deploy_file(home, 'c.xml', inbound_xml('OnCore', 'http', {'inbound.http.port': str(http)}))
    with StandIn(home) as standin:
        assert bare_answer(free) == 'mi-standin instance=mi1 alias=inbound.First port=%d\n' % free
        assert 'ERROR Another endpoint named : First is currently using this port: %d' % free in standin.output
        assert 'ERROR Port %d used by inbound endpoint OnCore is already used by another application' % http \
            in standin.output
        assert 'inbound.First=%d' % free in standin.output and 'inbound.Second' not in standin.output.split(
            ' listening ')[1].split('\n')[0]


def test_a_faulty_capp_makes_readiness_answer_500_until_the_next_start(tmp_path):
    """MI's ReadinessResource: 500 naming the CApps that failed to deploy at the start, an answer it keeps
    (computed once) until the next start, even after the CApp is removed."""
    http, https, internal, internal_tls = free_ports(4)
    home = write_home(tmp_path / 'mi1', (
        '[server]\noffset = 0\n[transport.http]\nlistener.port = %d\nlistener.secured_port = %d\n'
        '[mediation]\ninternal_http_api_port = %d\ninternal_https_api_port = %d\n') % (http, https, internal, internal_tls))
    capps = home / 'repository/deployment/server/carbonapps'
    capps.mkdir(parents=True)
    (capps / 'Broken_1.0.0.car').write_bytes(b'not a zip archive')
    # A sequence whose file the archive lacks (the collection reads endpoints and local entries only).
    with zipfile.ZipFile(capps / 'Orders_1.0.0.car', 'w') as archive:
        archive.writestr('artifacts.xml', '<artifacts><artifact name="app" version="1.0.0" type="carbon/application">'
                         '<dependency artifact="Orders" version="1.0.0" include="true"/></artifact></artifacts>')
        archive.writestr('Orders_1.0.0/artifact.xml', '<artifact name="Orders" version="1.0.0" type="synapse/sequence">'
                         '<file>Orders-1.0.0.xml</file></artifact>')
    with StandIn(home) as standin:
        status, _headers, body = http_get(internal, '/healthz')
        assert status.endswith(' 500 Internal Server Error')
        assert json.loads(body) == {'version': '4.4.0-standin', 'status': 'not ready, faulty CAPPs detected',
                                    'Faulty CAPPs': ['Broken_1.0.0.car', 'Orders_1.0.0.car']}
        for capp in capps.iterdir():
            capp.unlink()
        assert http_get(internal, '/healthz')[0].endswith(' 500 Internal Server Error')
        assert http_get(internal, '/liveness')[0].endswith(' 200 OK')
    assert 'Error occurred while deploying the Carbon application Broken_1.0.0.car' in standin.output
    assert 'alias=management_http port=%d: /healthz answered 500' % internal in standin.output
    assert 'alias=management_http port=%d: /liveness answered 200' % internal in standin.output
    with StandIn(home):
        assert http_get(internal, '/healthz')[0].endswith(' 200 OK')
