# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: port_map
short_description: Every listener of an MI instance with its effective port, as MI computes it
version_added: 0.1.0
description:
  - Builds the port model of one MI instance whose deployment.toml sets the given keys and offset, keyed by alias
    (C(http), C(https), C(management_http), C(management_https)) or by dotted key for the other listeners.
  - "C({} | wso2ops.micro_integrator.port_map) is MI's default table: 8290, 8253, 9201, 9164."
  - Keys may be listener ports, their enable flags (C(transport.http.listener.enable)), the internal APIs'
    protocols (C(management_api.protocols)) or other listener keys (C(transport.tcp.listener.port)); only some
    listeners take the offset, and disabled ones are marked C(enabled=false).
  - Refuses ports out of range after the offset and two enabled listeners on the same port.
  - On hosts, M(wso2ops.micro_integrator.deployment_toml_info) returns the same model from the real file, JVM
    arguments and environment.
author: wso2ops contributors (@wso2ops)
positional: offset
options:
  _input:
    description: deployment.toml values by alias or dotted key; a missing key (or a null value) uses MI's default.
    type: dict
    required: true
  offset:
    description: The port offset; it replaces MI's built-in 10. Null leaves MI's default.
    type: int
    default: 10
"""

EXAMPLES = r"""
# {http: {port: 8290, ...}, https: {port: 8253, ...}, management_http: {port: 9201, ...}, ...}
mi_ports: "{{ {} | wso2ops.micro_integrator.port_map }}"

# A second instance: offset 11 and a moved HTTP listener
mi2_ports: "{{ {'http': 8380} | wso2ops.micro_integrator.port_map(11) }}"

# The TCP transport takes no offset: 8300 stays 8300
tcp: "{{ {'transport.tcp.listener.enable': true, 'transport.tcp.listener.port': 8300}
         | wso2ops.micro_integrator.port_map(3) }}"
"""

RETURN = r"""
_value:
  description:
    - One entry per listener, with the fields of RV(wso2ops.micro_integrator.deployment_toml_info#module:ports).
  type: dict
  sample:
    http: {key: transport.http.listener.port, alias: http, base: 8380, offset_applied: true, offset: 11, port: 8391,
           enabled: true, bind_address: null, exposure: public, protocol: http, transport: tcp,
           description: HTTP pass-through transport (API and proxy traffic), set_in_file: true, source: null,
           resolved: true, apis: []}
"""

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.ports import port_map
from ansible_collections.wso2ops.micro_integrator.plugins.plugin_utils.filter_errors import filter_errors


class FilterModule:
    def filters(self):
        return {'port_map': filter_errors('port_map')(port_map)}
