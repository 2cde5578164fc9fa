# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: port_conflicts
short_description: Effective ports that several MI instances on one host would share
version_added: 0.1.0
description:
  - Compares the effective ports (not the offsets) of every listener MI opens in several instances' port maps,
    ports without offset included (TCP transport, debuggers), and ports reserved for other services such as SSH.
  - Disabled listeners and listeners whose port is unresolved take no port and are skipped.
  - Returns an empty list when there is no conflict.
author: wso2ops contributors (@wso2ops)
positional: reserved
options:
  _input:
    description:
      - Port maps keyed by instance name, as P(wso2ops.micro_integrator.port_map#filter) builds them,
        or plain dicts of alias to port.
    type: dict
    required: true
  reserved:
    description: Ports that no instance may use, mapped to what holds them.
    type: dict
    default: {}
"""

EXAMPLES = r"""
# [] : offsets 10 and 11 share no port
ok: "{{ {'mi1': {} | wso2ops.micro_integrator.port_map,
          'mi2': {} | wso2ops.micro_integrator.port_map(11)} | wso2ops.micro_integrator.port_conflicts }}"

# [{port: 8291, first: 'mi1 http', second: 'mi2 http'}]
clash: "{{ {'mi1': {'http': 8281} | wso2ops.micro_integrator.port_map,
             'mi2': {} | wso2ops.micro_integrator.port_map(11)} | wso2ops.micro_integrator.port_conflicts }}"
"""

RETURN = r"""
_value:
  description: One entry per shared port.
  type: list
  elements: dict
  contains:
    port:
      description: The shared effective port.
      type: int
    first:
      description: The instance and listener name (or reserved service) that holds the port first.
      type: str
    second:
      description: The instance and listener name that would use it too.
      type: str
"""

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.ports import port_conflicts
from ansible_collections.wso2ops.micro_integrator.plugins.plugin_utils.filter_errors import filter_errors


class FilterModule:
    def filters(self):
        return {'port_conflicts': filter_errors('port_conflicts')(port_conflicts)}
