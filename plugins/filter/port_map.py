# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: port_map
short_description: The four documented MI listeners with their effective ports
version_added: 0.1.0
description:
  - Builds the port map of one MI instance, keyed by alias C(http), C(https), C(management_http),
    C(management_https), from base-port overrides and the offset.
  - "C({} | wso2ops.micro_integrator.port_map) is MI's default table: 8290, 8253, 9201, 9164."
  - Refuses ports out of range after the offset and two listeners on the same port.
author: wso2ops contributors (@wso2ops)
positional: offset
options:
  _input:
    description: Base-port overrides by alias; a missing alias (or a null value) uses MI's default base port.
    type: dict
    required: true
  offset:
    description: The port offset; it replaces MI's built-in 10.
    type: int
    default: 10
"""

EXAMPLES = r"""
# {http: {port: 8290, ...}, https: {port: 8253, ...}, management_http: {port: 9201, ...}, ...}
mi_ports: "{{ {} | wso2ops.micro_integrator.port_map }}"

# A second instance: offset 11 and a moved HTTP listener
mi2_ports: "{{ {'http': 8380} | wso2ops.micro_integrator.port_map(11) }}"
"""

RETURN = r"""
_value:
  description: One entry per alias.
  type: dict
  contains:
    port:
      description: The effective port (base plus offset).
      type: int
    base:
      description: The base port.
      type: int
    offset:
      description: The offset applied.
      type: int
    key:
      description: The deployment.toml key of the base port.
      type: str
    protocol:
      description: C(http) or C(https).
      type: str
    transport:
      description: Always C(tcp).
      type: str
    exposure:
      description: C(public) for the pass-through transports, C(management) for the Management API.
      type: str
    public:
      description: Whether the port carries pass-through (API) traffic.
      type: bool
    description:
      description: What the listener is.
      type: str
"""

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi_ports import port_map
from ansible_collections.wso2ops.micro_integrator.plugins.plugin_utils.filter_errors import filter_errors


class FilterModule(object):
    def filters(self):
        return {'port_map': filter_errors('port_map')(port_map)}
