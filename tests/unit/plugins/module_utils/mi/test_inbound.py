"""Inbound endpoint XML as MI reads it, on every endpoint file of MI's own repository (../shared corpus), and
XML that MI's tooling would never write (no namespace, entity tricks)."""

import pytest

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.inbound import (
    ArtifactProblem,
    endpoint_listener,
    parse_xml,
    read_endpoint,
    read_local_entry,
)
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.parameters import ParameterContext
from helpers.artifacts import ENDPOINT_FILES, endpoint_xml

PREFIX = 'integration__mediation-tests__tests-'
# Every file of the corpus: (name, protocol, port or None, offset rule); None port: opens nothing.
CORPUS = {
    'integration__dataservice-hosting-tests__tests-integration__tests__DSS__server__inbound-endpoints__HttpListenerEP.xml':
        ('HttpListenerEP', 'http', 8081, 'inbound'),
    'integration__management-api-tests__ESB__server__inbound-endpoints__HL7_Inbound.xml':
        ('HL7_Inbound', 'hl7', None, 'never'),
    'integration__management-api-tests__ESB__server__inbound-endpoints__testInboundEndpoint.xml':
        ('testInboundEndpoint', 'http', 8085, 'inbound'),
    PREFIX + 'platform__tests-rabbitmq__ESB__server__inbound-endpoints__RabbitMQConsumerInboundEP.xml':
        ('RabbitMQConsumerInboundEP', 'rabbitmq', None, None),
    PREFIX + 'platform__tests-rabbitmq__ESB__server__inbound-endpoints__RabbitMQInvalidInboundEP.xml':
        ('RabbitMQInvalidInboundEP', 'rabbitmq', None, None),
    PREFIX + 'platform__tests-transaction__ESB__server__inbound-endpoints__HttpListenerEP.xml':
        ('HttpListenerEP', 'http', 8083, 'inbound'),
    PREFIX + 'transport-2__ESB__server__inbound-endpoints__httpswss.xml':
        ('httpsWssInboundEndpoint', 'httpswss', 5100, 'never'),
    PREFIX + 'transport-2__ESB__server__inbound-endpoints__httpswssWithBackendCall.xml':
        ('httpsWssInboundEndpointForSecureBackendCallAPI', 'httpswss', 5101, 'never'),
    PREFIX + 'transport-2__ESB__server__inbound-endpoints__httpws.xml':
        ('httpWebsocketInboundEndpoint', 'httpws', 5055, 'never'),
    PREFIX + 'transport-2__ESB__server__inbound-endpoints__httpwsWithBackendCall.xml':
        ('httpWebsocketInboundEndpointForBackendCallAPI', 'httpws', 5056, 'never'),
    PREFIX + 'transport__ESB__server__inbound-endpoints__HttpListenerEP.xml': ('HttpListenerEP', 'http', 8081, 'inbound'),
    PREFIX + 'transport__ESB__server__inbound-endpoints__HttpListenerEP2.xml':
        ('HttpListenerEP2', 'http', 8082, 'inbound'),
    PREFIX + 'transport__ESB__server__inbound-endpoints__jmsClientAckInboundEndpoint.xml':
        ('jmsClientAckInboundEndpoint', 'jms', None, None),
    PREFIX + 'transport__ESB__server__inbound-endpoints__jmsQueueToHttpInboundEndpoint.xml':
        ('jmsQueueToHttpInboundEndpoint', 'jms', None, None),
    PREFIX + 'transport__ESB__server__inbound-endpoints__jmsRollbackTestInboundEndpoint.xml':
        ('jmsRollbackTestInboundEndpoint', 'jms', None, None),
    PREFIX + 'transport__ESB__server__inbound-endpoints__jmsTypeHeaderInboundEndpoint.xml':
        ('jmsTypeHeaderInboundEndpoint', 'jms', None, None),
    PREFIX + 'transport__ESB__server__inbound-endpoints__websocketTestInbound.xml':
        ('websocketTestInbound', 'ws', 9078, 'endpoint'),
    'product-scenarios__11-Asynchronous-message-processing__11-SynapseConfigProject__11-synapseConfig__src__main__'
    'synapse-config__inbound-endpoints__11.1.1.1.1.2_Inbound_jms.xml': ('11.1.1.1.1.2_Inbound_jms', 'jms', None, None),
    'samples__FileTransfer__inbound-endpoints__StudentDataFileProcessInboundEP.xml':
        ('StudentDataFileProcessInboundEP', 'file', None, None),
    'samples__JMSIntegration__inbound-endpoints__OrderPaymentQueueInboundEP.xml':
        ('OrderPaymentQueueInboundEP', 'jms', None, None),
    'samples__KafkaConsumerAndProducer__inbound-endpoints__WeatherDataTransmitInboundEP.xml':
        ('WeatherDataTransmitInboundEP', 'custom', None, None),
    'samples__RabbitMQIntegration__inbound-endpoints__SalesOrderQueueInboundEP.xml':
        ('SalesOrderQueueInboundEP', 'rabbitmq', None, None),
}


def listener(data, context=None, where='x.xml'):
    return endpoint_listener(read_endpoint(data, where), context or ParameterContext(), where)


def test_the_corpus_is_every_endpoint_file_of_mis_repository():
    assert sorted(path.name for path in ENDPOINT_FILES.glob('*.xml')) == sorted(CORPUS)


@pytest.mark.parametrize('name', sorted(CORPUS))
def test_corpus_file_opens_the_port_mi_opens(name):
    endpoint, protocol, port, rule = CORPUS[name]
    found = listener((ENDPOINT_FILES / name).read_bytes(), where=name)
    assert (found['name'], found['protocol'], found['base'], found['listening']) == (
        endpoint, protocol, port, rule is not None)
    if rule:
        assert found['offset_rule'] == rule
    assert found['suspended'] is False and found['unresolved'] is None
    assert found['problem'] is None or endpoint == 'HL7_Inbound'


def test_the_hl7_file_that_declares_no_port_is_a_problem_naming_file_and_parameter():
    name = 'integration__management-api-tests__ESB__server__inbound-endpoints__HL7_Inbound.xml'
    found = listener((ENDPOINT_FILES / name).read_bytes(), where=name)
    assert found['problem'] == ('%s: the hl7 endpoint HL7_Inbound has no parameter inbound.hl7.Port: MI cannot '
                                'deploy it' % name)


def test_a_root_without_namespace_is_read_as_mi_reads_it():
    # MI's own HttpListenerEP.xml: root without namespace, <p:parameters> in the Synapse namespace.
    assert listener(b'<inboundEndpoint name="e" protocol="http"><p:parameters xmlns:p="http://ws.apache.org/ns/'
                    b'synapse"><p:parameter name="inbound.http.port">8081</p:parameter></p:parameters>'
                    b'</inboundEndpoint>')['base'] == 8081
    # Parameters outside the namespace: MI ignores them, so the endpoint has no port; the message says why.
    found = listener(endpoint_xml('NoNs', 'http', {'inbound.http.port': '8081'}, namespace=False).encode())
    assert found['base'] is None and 'is not in the namespace http://ws.apache.org/ns/synapse' in found['problem']


@pytest.mark.parametrize('text, port, problem', [
    ('8081', 8081, None), ('+8081', 8081, None),
    (' 8081', None, 'refuses blanks'), ('8081\n', None, 'refuses blanks'), ('80a', None, "'80a'"),
    ('70000', None, 'a port must be an integer from 1 to 65535'), ('', None, "''"),
])
def test_port_values_are_read_with_integer_parse_int_rules(text, port, problem):
    found = listener(endpoint_xml('E', 'http', {'inbound.http.port': text}).encode(), where='e.xml')
    assert found['base'] == port
    assert (problem is None and found['problem'] is None) or (
        problem in found['problem'] and found['problem'].startswith('e.xml: parameter inbound.http.port of endpoint E')
        and found['problem'].endswith('MI cannot deploy the endpoint'))


def test_grpc_falls_back_to_8888_as_mi_does():
    assert listener(endpoint_xml('G', 'grpc', {'inbound.grpc.port': 'x'}).encode())['base'] == 8888
    assert listener(endpoint_xml('G', 'grpc').encode())['base'] == 8888
    assert listener(endpoint_xml('G', 'grpc', {'inbound.grpc.port': '9050'}).encode())['base'] == 9050


def test_httpws_binds_its_hostname_and_ws_takes_the_offset_only_when_asked():
    found = listener(endpoint_xml('H', 'httpws', {'port': '5055', 'hostname': '127.0.0.1'}).encode())
    assert (found['base'], found['bind_address'], found['offset_rule']) == (5055, '127.0.0.1', 'never')
    assert listener(endpoint_xml('W', 'wss', {'inbound.ws.port': '9078', 'ws.use.port.offset': 'true'}).encode())[
        'ws_use_port_offset'] is True


def test_suspended_and_class_based_endpoints():
    assert listener(endpoint_xml('S', 'http', {'inbound.http.port': '8081'}, suspend=True).encode())['suspended'] is True
    mcp = (b'<inboundEndpoint xmlns="http://ws.apache.org/ns/synapse" name="M" class="org.example.Mcp"><parameters>'
           b'<parameter name="inbound.behavior">listening</parameter><parameter name="inbound.mcp.port">8300'
           b'</parameter></parameters></inboundEndpoint>')
    assert (listener(mcp)['base'], listener(mcp)['offset_rule']) == (8300, 'inbound')
    unknown = mcp.replace(b'inbound.mcp.port', b'custom.port')
    assert listener(unknown)['base'] is None and 'port parameter' in listener(unknown)['unresolved']


def test_values_from_the_environment_the_properties_file_and_local_entries():
    context = ParameterContext({'EP': '8101'}, {'cfg_port': '8103'}, '/mi/conf/file.properties', {'ep.port': '8102'},
                               {'port-entry': '8104', 'xml-entry': None})
    assert listener(endpoint_xml('A', 'http', {'inbound.http.port': '$SYSTEM:EP'}).encode(), context)['base'] == 8101
    assert listener(endpoint_xml('B', 'http', {'inbound.http.port': '$FILE:ep.port'}).encode(), context)['base'] is None
    assert listener(endpoint_xml('B', 'http', {'inbound.http.port': '$FILE:ep_port'}).encode(), context)['problem'] == (
        'x.xml: $FILE:ep_port: /mi/conf/file.properties has no key ep_port')
    context.file_values['ep_port'] = '8102'
    assert listener(endpoint_xml('B', 'http', {'inbound.http.port': '$FILE:ep_port'}).encode(), context)['base'] == 8102
    assert listener(endpoint_xml('C', 'http', {'inbound.http.port': '${configs.cfg_port}'}).encode(),
                    context)['base'] == 8103
    keyed = b'<inboundEndpoint xmlns="http://ws.apache.org/ns/synapse" name="D" protocol="hl7"><parameters>' \
            b'<parameter name="inbound.hl7.Port" key="%s"/></parameters></inboundEndpoint>'
    assert listener(keyed % b'port-entry', context)['base'] == 8104
    assert 'holds XML, not text' in listener(keyed % b'xml-entry', context)['problem']
    assert 'names no local entry' in listener(keyed % b'missing', context)['problem']
    assert 'registry resource' in listener(keyed % b'conf:/ports/hl7', context)['unresolved']
    unset = listener(endpoint_xml('E', 'http', {'inbound.http.port': '$SYSTEM:NOPE'}).encode(), context)
    assert unset['base'] is None and unset['problem'] is None and 'NOPE' in unset['unresolved']


ENTITY_TRICKS = [
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
    b'<inboundEndpoint name="&lol2;" protocol="http"/>',
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY ext SYSTEM "file:///etc/passwd">]>'
    b'<inboundEndpoint name="&ext;" protocol="http"/>',
    b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://example.invalid/x.dtd"><inboundEndpoint name="a"/>',
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY % p SYSTEM "http://example.invalid/p">%p;]><inboundEndpoint/>',
]


@pytest.mark.parametrize('data', ENTITY_TRICKS)
def test_dtds_and_entities_are_refused(data):
    with pytest.raises(ArtifactProblem, match='evil.xml declares a DTD or an entity: refused'):
        read_endpoint(data, 'evil.xml')


def test_malformed_big_and_foreign_xml_are_problems_naming_the_file():
    with pytest.raises(ArtifactProblem, match=r'bad.xml is not well-formed XML \(.*line 1'):
        parse_xml(b'<inboundEndpoint name="a">', 'bad.xml')
    with pytest.raises(ArtifactProblem, match='big.xml is 1048577 bytes'):
        parse_xml(b' ' * (1 << 20 + 0) + b' ', 'big.xml')
    with pytest.raises(ArtifactProblem, match='api.xml holds <api>, not an <inboundEndpoint>'):
        read_endpoint(b'<api xmlns="http://ws.apache.org/ns/synapse" name="a"/>', 'api.xml')
    with pytest.raises(ArtifactProblem, match='has no name'):
        read_endpoint(b'<inboundEndpoint protocol="http"/>', 'noname.xml')


def test_local_entries_hold_text_or_xml():
    assert read_local_entry(b'<localEntry key="k" xmlns="http://ws.apache.org/ns/synapse"><![CDATA[0, 1]]>'
                            b'</localEntry>', 'le.xml') == ('k', '0, 1')
    assert read_local_entry(b'<localEntry key="k" xmlns="http://ws.apache.org/ns/synapse"><a/></localEntry>',
                            'le.xml') == ('k', None)
