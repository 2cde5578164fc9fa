# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deployed inbound endpoints: their XML as MI reads it, and the port each one opens.

Pure Python, no Ansible, stdlib only. How Synapse reads the XML (wso2/wso2-synapse,
modules/core/.../config/xml/inbound/InboundEndpointFactory.java): the root's attributes ``name`` (required),
``protocol``, ``class``, ``suspend`` (Boolean.parseBoolean) are read without a namespace, and so is the root
element itself (MI's own test files have a root without a namespace); ``parameters`` and its ``parameter``
children count only in the Synapse namespace (default or prefixed). A parameter's value is its text (resolved
by parameters.resolve_text), an XML child (never a port), or ``key=`` naming a local entry.
The protocols and their port parameters: MI-FACTS.md, "Ports from deployed artifacts".
"""

import re
from xml.etree import ElementTree
from collections import namedtuple
from xml.parsers import expat

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.parameters import resolve_key, resolve_text
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.values import PortError, has_control, parse_port

SYNAPSE_NS = 'http://ws.apache.org/ns/synapse'
MAX_XML_BYTES = 1 << 20  # an artifact's XML file; MI's own are a few kB

# protocol: (port parameter, offset rule). inbound: the server offset when [mediation] inbound.port_offset_enable;
# endpoint: the offset when the endpoint's ws.use.port.offset is true; never: no offset.
PROTOCOLS = {
    'http': ('inbound.http.port', 'inbound'),
    'https': ('inbound.http.port', 'inbound'),
    'ws': ('inbound.ws.port', 'endpoint'),
    'wss': ('inbound.ws.port', 'endpoint'),
    'httpws': ('port', 'never'),  # MI >= 4.1
    'httpswss': ('port', 'never'),
    'hl7': ('inbound.hl7.Port', 'never'),
    'grpc': ('inbound.grpc.port', 'never'),
}
# Class-based endpoints with inbound.behavior = listening whose port parameter is known (MCP, MI 4.6).
CLASS_PORTS = (('inbound.mcp.port', 'inbound'),)
GRPC_DEFAULT_PORT = 8888  # InboundGRPCListener: a missing or bad inbound.grpc.port silently becomes 8888
_PLACEHOLDER = re.compile(r'\$(?:SYSTEM|FILE):\w*|\$\{configs\.\w*\}?')  # parameters.resolve_text's sources

Parameter = namedtuple('Parameter', 'text key xml')


class ArtifactProblem(ValueError):
    """An artifact MI cannot deploy, or that this reader refuses (a DTD); the message names the file."""


def parse_xml(data, where):
    """The root Element of XML bytes, namespace-aware ({uri}local names), with no DTD and no entity: a
    DOCTYPE or ENTITY declaration is refused (entity expansion, external entities)."""
    if len(data) > MAX_XML_BYTES:
        raise ArtifactProblem('%s is %d bytes, more than the %d an artifact XML may have here'
                              % (where, len(data), MAX_XML_BYTES))
    builder = ElementTree.TreeBuilder()
    parser = expat.ParserCreate(namespace_separator='}')

    def refuse(*_args):
        raise ArtifactProblem('%s declares a DTD or an entity: refused (an XML artifact of MI needs neither)' % where)

    def qualified(name):
        return '{' + name if '}' in name else name

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True
    parser.StartElementHandler = lambda name, attributes: builder.start(
        qualified(name), dict((qualified(key), value) for key, value in attributes.items()))
    parser.EndElementHandler = lambda name: builder.end(qualified(name))
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise ArtifactProblem('%s is not well-formed XML (%s)' % (where, exc))
    return builder.close()


def _local(tag):
    return tag.rpartition('}')[2]


def _synapse(name):
    return '{%s}%s' % (SYNAPSE_NS, name)


def _parameter(element):
    children = list(element)
    if element.get('key') is not None:
        return Parameter(None, element.get('key'), False)
    if children:
        return Parameter(None, None, True)
    return Parameter(element.text or '', None, False)  # getText(): the text exactly, blanks included


def read_endpoint(data, where):
    """{name, protocol, class, suspended, parameters {name: Parameter}, namespaced} of an inbound endpoint XML."""
    root = parse_xml(data, where)
    if _local(root.tag) != 'inboundEndpoint':
        raise ArtifactProblem('%s holds <%s>, not an <inboundEndpoint>' % (where, _local(root.tag)))
    if not root.get('name'):
        raise ArtifactProblem('%s: the inbound endpoint has no name: MI refuses it ("Inbound Endpoint name cannot '
                              'be null")' % where)
    if has_control(root.get('name')):
        raise ArtifactProblem('%s: the inbound endpoint\'s name holds a control character (a line break, a tab...): '
                              'refused, it would reach firewall rules and reports; rename the endpoint' % where)
    parameters = {}
    holder = root.find(_synapse('parameters'))
    namespaced = holder is not None or not any(_local(child.tag) == 'parameters' for child in root)
    if holder is not None:
        for element in holder.findall(_synapse('parameter')):
            parameters[element.get('name')] = _parameter(element)  # Properties: the last of a name wins
    return {'name': root.get('name'), 'protocol': root.get('protocol'), 'class': root.get('class'),
            'suspended': (root.get('suspend') or '').lower() == 'true', 'parameters': parameters,
            'namespaced': namespaced}


def read_local_entry(data, where):
    """(key, text) of a local entry file; text is None when the entry holds XML (MI's getEntry is then no text)."""
    root = parse_xml(data, where)
    if _local(root.tag) != 'localEntry' or not root.get('key'):
        raise ArtifactProblem('%s is not a <localEntry key="...">' % where)
    return root.get('key'), None if list(root) else (root.text or '')


def port_rule(endpoint):
    """(port parameter, offset rule) when the endpoint opens a port, else None (polling, or class-based
    without inbound.behavior = listening), or ('', None) for a listening class whose port parameter is unknown."""
    protocol = (endpoint['protocol'] or '').lower()
    if protocol:
        return PROTOCOLS.get(protocol)
    behavior = endpoint['parameters'].get('inbound.behavior')
    if not endpoint['class'] or behavior is None or (behavior.text or '').strip() != 'listening':
        return None
    for name, rule in CLASS_PORTS:
        if name in endpoint['parameters']:
            return name, rule
    return '', None


def _value(endpoint, name, context):
    parameter = endpoint['parameters'].get(name)
    if parameter is None:
        return None, None, None
    if parameter.key is not None:
        return resolve_key(parameter.key, context)
    if parameter.xml:
        return None, 'parameter %s holds XML, not a port' % name, None
    return resolve_text(parameter.text, context)


def _origin(parameter):
    """Where a parameter's value comes from when it is not the text of the file itself (then it is never quoted:
    the environment, file.properties or a local entry may hold secrets), else None."""
    if parameter.key is not None:
        return 'the local entry %s' % parameter.key
    found = _PLACEHOLDER.match(parameter.text or '')
    return found.group(0) if found else None


def endpoint_listener(endpoint, context, where):
    """What a deployed endpoint opens: {name, protocol, parameter, base, offset_rule, bind_address, suspended,
    listening, problem, unresolved, source}. listening False: it opens nothing. problem: MI cannot deploy it
    (no port, or one Integer.parseInt refuses); unresolved: the port depends on what the host does not show."""
    rule = port_rule(endpoint)
    protocol = (endpoint['protocol'] or 'custom').lower()
    found = {'name': endpoint['name'], 'protocol': protocol, 'class': endpoint['class'], 'parameter': None, 'base': None, 'offset_rule': 'never',
             'bind_address': None, 'suspended': endpoint['suspended'], 'listening': rule is not None,
             'ws_use_port_offset': False, 'problem': None, 'unresolved': None, 'source': where}
    if rule is None:
        return found
    parameter, offset_rule = rule
    found.update(parameter=parameter or None, offset_rule=offset_rule or 'never')
    if not parameter:
        found['unresolved'] = 'a listening class-based endpoint whose port parameter this collection does not know'
        return found
    text, problem, unresolved = _value(endpoint, parameter, context)
    if protocol == 'grpc' and not unresolved:
        found['base'] = _grpc_port(text)
        return found
    if problem or unresolved:
        found.update(problem=problem and '%s: %s' % (where, problem), unresolved=unresolved)
        return found
    if text is None:
        hint = '' if endpoint['namespaced'] else ' (its <parameters> is not in the namespace %s, so MI ignores ' \
                                                 'it)' % SYNAPSE_NS
        found['problem'] = '%s: the %s endpoint %s has no parameter %s%s: MI cannot deploy it' % (
            where, protocol, endpoint['name'], parameter, hint)
        return found
    origin = _origin(endpoint['parameters'][parameter])
    what = '%s: parameter %s of endpoint %s%s' % (where, parameter, endpoint['name'],
                                                  ' (the value of %s)' % origin if origin else '')
    try:
        found['base'] = parse_port(text, what, visible=origin is None)
    except PortError as exc:
        found['problem'] = '%s: MI cannot deploy the endpoint' % exc
    if offset_rule == 'endpoint':
        flag, _problem, _unresolved = _value(endpoint, 'ws.use.port.offset', context)
        found['ws_use_port_offset'] = (flag or '').lower() == 'true'
    if protocol in ('httpws', 'httpswss'):
        host, _problem, _unresolved = _value(endpoint, 'hostname', context)
        found['bind_address'] = host or None
    return found


def _grpc_port(text):
    try:
        return parse_port(text, 'inbound.grpc.port')
    except PortError:
        return GRPC_DEFAULT_PORT
