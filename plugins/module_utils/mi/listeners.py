# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which deployment.toml keys are listener ports of MI 4.x, and what every other "port" key is.

Built from MI's config tool (key-mappings.json, default.json, templates) and its Java code, as
summarised in MI-FACTS.md. Pure data plus one classifier; no Ansible.
"""

import re
from collections import namedtuple

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.values import PortError

OFFSET_KEY = 'server.offset'

# Exposure classes, shared by the model, the filters and the firewall:
# public: traffic listeners (pass-through, TCP transport, inbound endpoints);
# monitoring: the internal HTTP port while it serves /healthz, /liveness or Prometheus (load balancers probe it);
# management: the Management API and the debugger ports.
EXPOSURES = ('public', 'monitoring', 'management')

# The internal APIs of CT/templates/conf/internal-apis.xml.j2: each runs when its system property
# enable<Name> is true (micro-integrator.sh sets it for all but Prometheus) and is served on the internal
# HTTP port when its protocols contain "http", on the internal HTTPS port when they contain "https".
InternalApi = namedtuple('InternalApi', 'name protocols_key protocols switch switch_default')
INTERNAL_APIS = (
    InternalApi('management_api', 'management_api.protocols', 'https http', 'enableManagementApi', True),
    InternalApi('readiness_probe', 'readiness_probe.protocols', 'http', 'enableReadinessProbe', True),
    InternalApi('liveness_probe', 'liveness_probe.protocols', 'http', 'enableLivenessProbe', True),
    InternalApi('prometheus_api', 'prometheus_api.protocols', 'http', 'enablePrometheusApi', False),
)
INTERNAL_API_SWITCH = ('mediation.internal_http_api_enable', True)

# key: dotted key; alias: short name or None; base: MI's default when the key is absent (None: no
# default, the listener needs the key); offset: whether MI adds the port offset; enable: (flag key,
# default) or None; bind: key of the bind address or None; internal: 'http'/'https' for the two
# internal API ports (enabled by the internal APIs' protocols); jvm: a JVM property that must be set
# (the debuggers listen only with -Desb.debug=true).
Listener = namedtuple('Listener', 'key alias base offset protocol exposure description enable bind internal jvm')

LISTENERS = (
    Listener('transport.http.listener.port', 'http', 8280, True, 'http', 'public',
             'HTTP pass-through transport (API and proxy traffic)',
             ('transport.http.listener.enable', True), 'transport.http.listener.bind_address', None, None),
    Listener('transport.http.listener.secured_port', 'https', 8243, True, 'https', 'public',
             'HTTPS pass-through transport (API and proxy traffic)',
             ('transport.http.listener.secured_enable', True), 'transport.http.listener.secured_bind_address',
             None, None),
    Listener('mediation.internal_http_api_port', 'management_http', 9191, True, 'http', 'monitoring',
             'internal HTTP APIs: /healthz, /liveness, Prometheus metrics and the Management API over HTTP',
             INTERNAL_API_SWITCH, None, 'http', None),
    Listener('mediation.internal_https_api_port', 'management_https', 9154, True, 'https', 'management',
             'internal HTTPS APIs: the Management API over HTTPS',
             INTERNAL_API_SWITCH, None, 'https', None),
    Listener('transport.tcp.listener.port', None, None, False, 'tcp', 'public',
             'axis2 TCP transport', ('transport.tcp.listener.enable', False), None, None, None),
    Listener('mediation.synapse.command_debugger_port', None, 9005, False, 'tcp', 'management',
             'mediation debugger, command channel (only with -Desb.debug=true)', None, None, None, 'esb.debug'),
    Listener('mediation.synapse.event_debugger_port', None, 9006, False, 'tcp', 'management',
             'mediation debugger, event channel (only with -Desb.debug=true)', None, None, None, 'esb.debug'),
)
LISTENER_BY_KEY = dict((spec.key, spec) for spec in LISTENERS)
# CT/key-mappings.json renames these keys before $ref{} is resolved: $ref{<old name>} stops MI, $ref{<new
# name>} reads the value.
RENAMED = {
    'transport.http.listener.port': 'transport.http.listener.parameter.port',
    'transport.http.listener.secured_port': 'transport.https.listener.parameter.port',
    'mediation.internal_http_api_port': "synapse_properties.'internal.http.api.port'",
    'mediation.internal_https_api_port': "synapse_properties.'internal.https.api.port'",
    'transport.tcp.listener.port': "transport.tcp.listener.parameter.'transport.tcp.port'",
    'mediation.synapse.command_debugger_port': "synapse_properties.'synapse.debugger.port.command'",
    'mediation.synapse.event_debugger_port': "synapse_properties.'synapse.debugger.port.event'",
}
RENAMED_FROM = dict((new, old) for old, new in RENAMED.items())
ALIASES = tuple(spec.alias for spec in LISTENERS if spec.alias)
KEY_BY_ALIAS = dict((spec.alias, spec.key) for spec in LISTENERS if spec.alias)

# The unit-test server is configured by JVM arguments only (-DsynapseTest, -DsynapseTestPort=N).
UNIT_TEST_SERVER = Listener('synapseTestPort', None, 9008, False, 'http', 'management',
                            'unit-test server (only with -DsynapseTest)', None, None, None, 'synapseTest')

# Keys that name a port but open no listener, with what they are (refused or reported, never opened).
OUTBOUND = {
    'transport.http.sender.proxy_port': 'the HTTP proxy that outgoing calls go through',
    'transport.http.sender.secured_proxy_port': 'the HTTPS proxy that outgoing calls go through',
    'mediation.http_client.global_proxy_port': 'the global proxy of the HTTP client',
    'opentelemetry.port': 'the OpenTelemetry collector that MI sends traces to',
}
NO_LISTENER = {
    'transport.blocking.http.listener.port': 'the blocking (callout) client transport configuration (default 8200); '
                                             'MI does not listen on it',
    'monitoring.jmx.rmi_registry_port': 'a JMX setting (default 9999) for which MI 4.x opens no listener',
    'monitoring.jmx.rmi_server_port': 'a JMX setting (default 11111) for which MI 4.x opens no listener',
    'dashboard_config.management_port': 'the Management API port the MI dashboard is told (with management_hostname, '
                                        'a NAT override; mi.control_plane); MI does not listen on it',
}
NOT_A_PORT = {
    'mediation.inbound.port_offset_enable': 'a boolean: whether inbound HTTP endpoints get the port offset',
    'transport.http.max_http_connection_per_host_port': 'a connection count per host and port, not a port',
}
# Tables that hold no user-facing listener port in MI 4.x, and legacy EI 6 tables.
IGNORED_TABLES = ('transport.https', 'transport.ws', 'transport.wss', 'transport.udp')
LEGACY_TABLES = ('transport.passthru',)

# Tables a missing key is created in (the longest that prefixes it).
KNOWN_TABLES = ('server', 'mediation', 'monitoring', 'transport.http', 'transport.tcp', 'transport.blocking.http',
                'management_api', 'readiness_probe', 'liveness_probe', 'prometheus_api')

_SECRET_WORD = re.compile(r'passw|passphrase|secret|token|pwd|credential', re.IGNORECASE)
_DOTTED = re.compile(r'^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\Z')


def _under(key, tables):
    return next((table for table in tables if key.startswith(table + '.')), None)


def classify(key):
    """(kind, what) of a dotted key: listener, outbound, no_listener, not_a_port, ignored, legacy or unknown."""
    if key in LISTENER_BY_KEY:
        return 'listener', LISTENER_BY_KEY[key].description
    for kind, table in (('outbound', OUTBOUND), ('no_listener', NO_LISTENER), ('not_a_port', NOT_A_PORT)):
        if key in table:
            return kind, table[key]
    if _under(key, LEGACY_TABLES):
        return 'legacy', 'an EI 6 key that MI 4.x ignores (it is not in MI 4.x key-mappings)'
    if _under(key, IGNORED_TABLES):
        return 'ignored', '[%s] holds no listener port in MI 4.x: MI ignores this key' % _under(key, IGNORED_TABLES)
    return 'unknown', 'not a port key of MI 4.x documentation'


def alias_key(name):
    """The dotted key of an alias, or the name itself."""
    return KEY_BY_ALIAS.get(name, name)


def config_key(name):
    """The dotted key for an alias or a dotted key; a bare name that is no alias is refused (MI has no
    top-level key of its own: it is a mistyped alias)."""
    key = alias_key(name)
    if not key or not _DOTTED.match(key):
        raise PortError('port key %r is not a dotted TOML key; use an alias (%s) or a key such as '
                        'transport.tcp.listener.port' % (key, ', '.join(ALIASES)))
    if '.' not in key:
        raise PortError('unknown port alias %r; known aliases: %s; give any other port by its dotted key such as '
                        'transport.tcp.listener.port' % (key, ', '.join(ALIASES)))
    return key


def check_port_key(name):
    """The dotted key of a port the user may set; refuses what is not a port of MI 4.x, saying what it is.

    Unknown keys pass (classify() reports them as unknown); secrets never do, so their values never show.
    """
    key = config_key(name)
    aliases = ', '.join(ALIASES)
    last = key.split('.')[-1]
    if _SECRET_WORD.search(last):
        raise PortError('key %r names a secret, not a port; the module never reads or writes secrets' % key)
    kind, what = classify(key)
    if kind == 'not_a_port':
        raise PortError('%s is %s; it cannot be set as a port' % (key, what))
    if kind in ('legacy', 'ignored'):
        raise PortError('%s is %s; set the MI 4.x key instead (aliases: %s)' % (key, what, aliases))
    if 'port' not in last.lower():
        raise PortError('key %r does not name a port setting (its last part must contain "port"); use an alias '
                        '(%s) or a port key' % (key, aliases))
    return key
