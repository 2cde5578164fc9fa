# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Who may reach which ports: the same two options wherever firewall rules are built.
    DOCUMENTATION = r"""
options:
  public_sources:
    description:
      - Networks (IPv4 or IPv6 addresses or CIDRs) allowed to reach the pass-through ports; null means any address.
    type: list
    elements: str
  management_sources:
    description:
      - Networks allowed to reach the Management API ports; empty keeps them closed.
    type: list
    elements: str
    default: []
"""
