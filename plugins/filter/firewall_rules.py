# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: firewall_rules
short_description: The allow rules a firewall needs for an MI port map
version_added: 0.1.0
description:
  - Turns a port map (from P(wso2ops.micro_integrator.port_map#filter)) into a flat list of allow rules for
    firewall templates.
  - Pass-through ports are allowed from I(public_sources), or from anywhere when it is null.
  - Management API ports are allowed only from I(management_sources); when it is empty they get no rule at all.
  - Every source must be an IPv4 or IPv6 address or network; anything else is refused.
author: wso2ops contributors (@wso2ops)
positional: public_sources, management_sources, instance
options:
  _input:
    description: A port map.
    type: dict
    required: true
  instance:
    description: Instance name copied into each rule.
    type: str
extends_documentation_fragment:
  - wso2ops.micro_integrator.sources
"""

EXAMPLES = r"""
# Pass-through ports open to all, Management API only from the admin network
rules: "{{ {} | wso2ops.micro_integrator.port_map
           | wso2ops.micro_integrator.firewall_rules(none, ['192.0.2.0/24'], 'mi1') }}"
"""

RETURN = r"""
_value:
  description: One rule per port and source.
  type: list
  elements: dict
  contains:
    instance:
      description: The instance name given.
      type: str
    alias:
      description: The listener alias.
      type: str
    port:
      description: The effective port.
      type: int
    transport:
      description: Always C(tcp).
      type: str
    exposure:
      description: C(public) or C(management).
      type: str
    source:
      description: The allowed network, or null for any address.
      type: str
    family:
      description: C(ipv4), C(ipv6), or C(any) when the source is any address.
      type: str
"""

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi_ports import firewall_rules
from ansible_collections.wso2ops.micro_integrator.plugins.plugin_utils.filter_errors import filter_errors


class FilterModule(object):
    def filters(self):
        return {'firewall_rules': filter_errors('firewall_rules')(firewall_rules)}
