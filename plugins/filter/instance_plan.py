# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: instance_plan
short_description: What the mi_ports role applies to the MI instances of one host
version_added: 0.1.0
description:
  - Computes on the controller, in one call, everything the P(wso2ops.micro_integrator.mi_ports#role) role needs.
  - Per instance, the module arguments (every listener alias is sent, unset ones as null so MI's default applies)
    and the port map MI will use.
  - The problems that must stop the role before any change (missing home, bad or repeated names, repeated homes,
    equal effective ports across instances or with reserved ports).
  - The firewall rules of all instances, as P(wso2ops.micro_integrator.firewall_rules#filter) builds them.
author: wso2ops contributors (@wso2ops)
positional: default_offset, reserved, public_sources, management_sources
options:
  _input:
    description: The instances, each a dict with C(name), C(home), C(offset), C(ports) and C(service).
    type: list
    elements: dict
    required: true
  default_offset:
    description: The offset of instances that set none (null leaves the file's offset, default 10).
    type: int
  reserved:
    description: Ports no instance may use, mapped to what holds them.
    type: dict
extends_documentation_fragment:
  - wso2ops.micro_integrator.sources
"""

EXAMPLES = r"""
plan: >-
  {{ [{'name': 'mi1', 'home': '/opt/mi1'}, {'name': 'mi2', 'home': '/opt/mi2', 'offset': 11}]
     | wso2ops.micro_integrator.instance_plan(none, {22: 'ssh'}, none, ['192.0.2.0/24']) }}
"""

RETURN = r"""
_value:
  description: The plan.
  type: dict
  contains:
    plan:
      description: One entry per instance with C(name), C(home), C(path), C(offset), C(service), C(module_ports)
        and C(ports) (its port map).
      type: list
      elements: dict
    problems:
      description: Sentences naming what must be fixed; empty when the role may go on.
      type: list
      elements: str
    rules:
      description: The allow rules of all instances.
      type: list
      elements: dict
"""

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.instance_plan import instance_plan
from ansible_collections.wso2ops.micro_integrator.plugins.plugin_utils.filter_errors import filter_errors


class FilterModule(object):
    def filters(self):
        return {'instance_plan': filter_errors('instance_plan')(instance_plan)}
