# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: firewall_rules
short_description: The allow rules a firewall needs for an MI port map
version_added: 0.1.0
description:
  - Turns a port map (from P(wso2ops.micro_integrator.port_map#filter) or the modules' C(ports)) into a flat list
    of allow rules for firewall templates.
  - Only listeners that MI opens get rules, enabled ones whose port is known; a disabled listener or one whose
    placeholder is unresolved gets none.
  - Each exposure class has its sources, C(public) ports (pass-through, TCP transport, inbound endpoints)
    I(public_sources), null meaning any address; C(management) ports I(management_sources), empty meaning no rule
    at all; the C(monitoring) port (health checks and metrics) I(monitoring_sources), the private ranges by default.
  - Every source must be an IPv4 or IPv6 address or network; anything else is refused.
author: wso2ops contributors (@wso2ops)
positional: public_sources, management_sources, instance, monitoring_sources
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
# Pass-through ports open to all, Management API only from the admin network,
# health checks and metrics from the private ranges (the default)
rules: "{{ {} | wso2ops.micro_integrator.port_map
           | wso2ops.micro_integrator.firewall_rules(none, ['192.0.2.0/24'], 'mi1') }}"

# Health checks only from the load balancers' network
lb_rules: "{{ {} | wso2ops.micro_integrator.port_map
              | wso2ops.micro_integrator.firewall_rules(none, [], 'mi1', ['10.1.0.0/24']) }}"
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
    name:
      description: The listener's name in the port map (alias or dotted key).
      type: str
    key:
      description: The listener's deployment.toml key.
      type: str
    port:
      description: The effective port.
      type: int
    transport:
      description: Always C(tcp).
      type: str
    exposure:
      description: C(public), C(monitoring) or C(management).
      type: str
    source:
      description: The allowed network, or null for any address.
      type: str
    family:
      description: C(ipv4), C(ipv6), or C(any) when the source is any address.
      type: str
"""

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall.rules import port_map_rules
from ansible_collections.wso2ops.micro_integrator.plugins.plugin_utils.filter_errors import filter_errors


class FilterModule:
    def filters(self):
        return {'firewall_rules': filter_errors('firewall_rules')(port_map_rules)}
