# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: effective_port
short_description: The port an MI listener uses, base port plus offset
version_added: 0.1.0
description:
  - Adds the port offset to a base port exactly as WSO2 Micro Integrator does.
  - The offset defaults to MI's built-in 10. A manual offset replaces the 10, it does not add to it.
author: wso2ops contributors (@wso2ops)
positional: offset
options:
  _input:
    description: The base port (an integer or a digit string from 1 to 65535).
    type: raw
    required: true
  offset:
    description: The port offset, a whole number from 0.
    type: int
    default: 10
"""

EXAMPLES = r"""
# 8290: the default HTTP pass-through port
http_port: "{{ 8280 | wso2ops.micro_integrator.effective_port }}"

# 8283: offset 3 replaces the default 10
http_port_offset_3: "{{ 8280 | wso2ops.micro_integrator.effective_port(3) }}"
"""

RETURN = r"""
_value:
  description: The effective port.
  type: int
"""

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.ports import effective_port
from ansible_collections.wso2ops.micro_integrator.plugins.plugin_utils.filter_errors import filter_errors


class FilterModule:
    def filters(self):
        return {'effective_port': filter_errors('effective_port')(effective_port)}
