#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: deployment_toml_info
short_description: Read every listener port of WSO2 Micro Integrator from deployment.toml, as MI computes it
version_added: 0.1.0
description:
  - Reads C(<MI_HOME>/conf/deployment.toml) and returns the offset MI will use with its source, and every listener
    of the instance (the four documented ports, the TCP transport, the debuggers, the unit-test server and the
    inbound endpoints you declare), each with its base and effective port, whether MI opens it, its bind address
    and its exposure class.
  - The offset follows MI's precedence, highest first, C(-DportOffset) in I(jvm_args), C([server] offset) in the
    file, then the built-in 10. A manual offset replaces the 10.
  - Placeholders in the file are resolved like MI's config tool does, C($env{X}) from I(environment), C($sys{X})
    from C(-DX=...) in I(jvm_args), C($ref{a.b}) from the file. A placeholder without a known source is reported
    as unresolved (its port is null); it is not an error.
  - Only some listeners take the offset (MI-FACTS), the pass-through and internal API ports do; the TCP transport,
    the debuggers and the unit-test server do not; inbound HTTP/HTTPS endpoints only with
    C([mediation] inbound.port_offset_enable), WebSocket endpoints only with C(ws.use.port.offset).
  - Fails on a file that is not valid TOML 1.0, with its line and column. Settings that MI would refuse at start-up
    (a port such as C(" 8280 "), two enabled listeners on one port) are returned in RV(problems) and shown as
    warnings, reading never fails on them.
  - Never returns other values of the file (it holds keystore and database passwords). A placeholder whose value
    is wrong is named with its source, never with the value it resolves to.
  - Reads only a regular file up to 4 MiB (a device, FIFO, socket or larger file is refused before it is read), and
    follows a symbolic link only when it belongs to root, to the account running the module or to the owner of
    the file it leads to, as M(wso2ops.micro_integrator.deployment_toml) does.
author:
  - wso2ops contributors (@wso2ops)
requirements:
  - Python 3.11 or later (C(tomllib)), or C(tomli), or C(tomlkit) on the managed host
options:
  path:
    description: Path of the deployment.toml.
    type: path
    required: true
  jvm_args:
    description:
      - The JVM arguments MI starts with (the value of C(JAVA_OPTS), the start script's arguments or the JVM's
        command line), as one string or a list of arguments.
      - Used for C(-DportOffset=N) (the last one wins), C($sys{X}) placeholders, C(-Desb.debug=true) (debugger
        ports) and C(-DsynapseTest) / C(-DsynapseTestPort=N) (unit-test server).
      - C(no_log), since it may carry secrets; it is
        never logged or returned, except arguments that are only a port, offset or flag (C(-DportOffset=5)).
    type: raw
  environment:
    description:
      - The environment variables MI starts with, for C($env{X}) placeholders.
      - C(no_log), since they may carry secrets; they are
        never logged or returned, except values that are only a port, offset or flag, or a path that exists.
    type: dict
    default: {}
  inbound_endpoints:
    description:
      - Inbound endpoints whose ports MI opens (their ports live in the endpoints' XML, not in deployment.toml).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Endpoint name; the port entry is keyed C(inbound.<name>).
        type: str
        required: true
      port:
        description: The port in the endpoint's XML.
        type: int
        required: true
      protocol:
        description: The endpoint's protocol; it decides whether the offset applies.
        type: str
        choices: [http, https, ws, wss, hl7, tcp]
        default: http
      ws_use_port_offset:
        description: The WebSocket endpoint parameter C(ws.use.port.offset).
        type: bool
        default: false
attributes:
  check_mode:
    support: full
    description: Reads only; runs the same in check mode.
  diff_mode:
    support: none
    description: Changes nothing, so there is no diff.
  platform:
    support: full
    platforms: posix
    description: Runs on POSIX hosts with Python 3.
seealso:
  - module: wso2ops.micro_integrator.deployment_toml
  - plugin: wso2ops.micro_integrator.firewall_rules
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Read the ports of an MI instance started with JAVA_OPTS and an environment file
  wso2ops.micro_integrator.deployment_toml_info:
    path: /opt/wso2mi/conf/deployment.toml
    jvm_args: ["-Xmx1g", "-DportOffset=12"]
    environment:
      MI_HTTP_PORT: "8380"
  register: mi

- name: Show where HTTP pass-through listens and whether health checks answer
  ansible.builtin.debug:
    msg: >-
      HTTP on {{ mi.ports.http.port }} (offset {{ mi.offset }} from {{ mi.offset_source }}),
      health checks on {{ mi.ports.management_http.port if mi.ports.management_http.enabled else 'no port' }}
"""

RETURN = r"""
offset:
  description: The offset MI uses; null when it is a placeholder without a known source.
  returned: success
  type: int
  sample: 10
offset_source:
  description:
    - Where the offset comes from, C(jvm) (C(-DportOffset)), C(file), C(env) (a C($env{}) placeholder in the file),
      C(sys) (a C($sys{}) placeholder) or C(default) (MI's built-in 10).
  returned: success
  type: str
  sample: default
offset_placeholder:
  description: The placeholder text of the file's offset, or null.
  returned: success
  type: str
  sample: $env{MI_OFFSET}
ports:
  description: Every listener of the instance, keyed by alias (the four documented ports) or by dotted key.
  returned: success
  type: dict
  contains:
    key:
      description: The dotted deployment.toml key (C(inbound.<name>) for inbound endpoints, C(synapseTestPort) for the system property of the unit-test server).
      type: str
    alias:
      description: C(http), C(https), C(management_http), C(management_https), or null.
      type: str
    base:
      description: The base port (the key's value, or MI's default); null when unresolved.
      type: int
    offset_applied:
      description: Whether MI adds the offset to this port.
      type: bool
    offset:
      description: The offset added (0 when it does not apply).
      type: int
    port:
      description: The effective port MI listens on; null when a placeholder is unresolved.
      type: int
    enabled:
      description:
        - Whether MI opens it (enable flags, C([management_api] protocols) and the other internal APIs' protocols,
          JVM switches); null when a placeholder leaves it unknown.
      type: bool
    bind_address:
      description: The bind address; null means all interfaces.
      type: str
    exposure:
      description:
        - C(public) (pass-through, TCP transport, inbound endpoints), C(monitoring) (the internal HTTP port while it
          serves /healthz, /liveness or Prometheus; it also serves the Management API over HTTP when
          C([management_api] protocols) contains http), C(management) (Management API, debuggers, unit-test server).
      type: str
    protocol:
      description: C(http), C(https), C(tcp) or the inbound endpoint's protocol.
      type: str
    transport:
      description: Always C(tcp).
      type: str
    description:
      description: What the listener is.
      type: str
    set_in_file:
      description: Whether deployment.toml sets the port (false, MI's default applies).
      type: bool
    source:
      description: The placeholder text of the port value, or null.
      type: str
    resolved:
      description: Whether the port and the offset it needs are known.
      type: bool
    apis:
      description: The internal APIs served on the port (internal API ports only).
      type: list
      elements: str
  sample:
    http: {key: transport.http.listener.port, alias: http, base: 8280, offset_applied: true, offset: 10, port: 8290,
           enabled: true, bind_address: null, exposure: public, protocol: http, transport: tcp,
           description: HTTP pass-through transport (API and proxy traffic), set_in_file: false, source: null,
           resolved: true, apis: []}
effective_ports:
  description: The effective port of the four documented listeners by alias (null when unresolved).
  returned: success
  type: dict
  sample: {http: 8290, https: 8253, management_http: 9201, management_https: 9164}
base_ports:
  description: The base port of the four documented listeners by alias (null when unresolved).
  returned: success
  type: dict
  sample: {http: 8280, https: 8243, management_http: 9191, management_https: 9154}
set_in_file:
  description: For the offset and each alias, whether the file sets it (true) or MI's default applies (false).
  returned: success
  type: dict
  sample: {offset: false, http: true, https: false, management_http: false, management_https: false}
problems:
  description: What MI would refuse at start-up, one sentence each naming the key and the fix; empty when none.
  returned: success
  type: list
  elements: str
  sample: ["transport.http.listener.port and transport.tcp.listener.port would both listen on 8290; give them
    distinct ports"]
notes:
  description:
    - Keys of the file that name a port but are not MI listeners, each with C(key), C(kind) (C(outbound),
      C(no_listener), C(not_a_port), C(ignored), C(legacy), C(unknown)) and a C(message).
  returned: success
  type: list
  elements: dict
  sample: [{key: transport.passthru.http.listener.port, kind: legacy,
            message: "transport.passthru.http.listener.port: an EI 6 key that MI 4.x ignores"}]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.errors import CollectionError
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.toml.engine import read_model
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.listeners import ALIASES
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.values import PortError
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.fileio import read_text
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.masking import keep_ports_visible


def _jvm_args(value):
    """A string or a list of strings; anything else is refused rather than read as its repr."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(arg, (str, int)) for arg in value):
        return [str(arg) for arg in value]
    raise PortError('jvm_args is %r; give a string ("-Xmx1g -DportOffset=5") or a list of arguments' % (value,))


def read(params):
    text = read_text(params['path'])
    model = read_model(text, _jvm_args(params['jvm_args']), params['environment'], params['inbound_endpoints'])
    ports = model['ports']
    set_in_file = dict((alias, ports[alias]['set_in_file']) for alias in ALIASES)
    set_in_file['offset'] = model['offset_set_in_file']
    return dict(changed=False, offset=model['offset'], offset_source=model['offset_source'],
                offset_placeholder=model['offset_placeholder'], ports=ports, notes=model['notes'],
                problems=model['problems'],
                effective_ports=dict((alias, ports[alias]['port']) for alias in ALIASES),
                base_ports=dict((alias, ports[alias]['base']) for alias in ALIASES), set_in_file=set_in_file)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True),
            jvm_args=dict(type='raw', no_log=True),
            environment=dict(type='dict', default={}, no_log=True),
            inbound_endpoints=dict(type='list', elements='dict', default=[], options=dict(
                name=dict(type='str', required=True),
                port=dict(type='int', required=True),
                protocol=dict(type='str', default='http', choices=['http', 'https', 'ws', 'wss', 'hl7', 'tcp']),
                ws_use_port_offset=dict(type='bool', default=False),
            )),
        ),
        supports_check_mode=True,
    )
    keep_ports_visible(module)
    try:
        result = read(module.params)
    except CollectionError as exc:
        module.fail_json(msg='%s: %s' % (module.params['path'], to_native(exc)))
    for problem in result['problems']:
        module.warn('%s: MI would not start: %s' % (module.params['path'], problem))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
