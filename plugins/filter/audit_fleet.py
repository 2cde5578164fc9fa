# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: audit_fleet
short_description: Gather the port audits of many hosts into one fleet report
version_added: 0.2.0
description:
  - Takes the result of M(wso2ops.micro_integrator.audit_info) of every host and returns the fleet report that
    P(wso2ops.micro_integrator.audit_render#filter) writes as HTML, JSON or Markdown, with the fleet summary (hosts,
    instances, ports, findings by severity) and the findings of all hosts, highest severity first.
  - A host without a result, or whose audit failed or was unreachable, is reported with a C(not_audited) finding.
author: wso2ops contributors (@wso2ops)
positional: fail_on
options:
  _input:
    description: Host name to its audit_info result (null, or a failed or unreachable result, for a host without one).
    type: dict
    required: true
  fail_on:
    description: The severity from which findings fail the audit (C(summary.failing) counts them); C(none) never fails.
    type: str
    choices: [critical, high, medium, low, info, none]
    default: none
"""

EXAMPLES = r"""
fleet: "{{ dict(ansible_play_hosts_all | zip(ansible_play_hosts_all | map('extract', hostvars, 'audit') ))
          | wso2ops.micro_integrator.audit_fleet('high') }}"
"""

RETURN = r"""
_value:
  description: The fleet report.
  type: dict
  contains:
    format_version:
      description: 1; raised when a key changes meaning.
      type: int
    generated:
      description: When the report was made (UTC, ISO 8601).
      type: str
    summary:
      description: C(hosts), C(hosts_not_audited), C(instances), C(ports), C(findings) (count per severity), C(worst),
        C(fail_on), C(failing) (findings at or above fail_on).
      type: dict
    findings:
      description: Every finding of the fleet (RV(wso2ops.micro_integrator.audit_info#module:findings) plus C(host)).
      type: list
      elements: dict
    hosts:
      description: Per host C(host), C(audited), C(error), C(firewall), C(instances), C(findings).
      type: list
      elements: dict
"""

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.audit.findings import AuditError
from ansible_collections.wso2ops.micro_integrator.plugins.plugin_utils.audit_report import fleet


def audit_fleet(results, fail_on='none'):
    if not isinstance(results, dict):
        raise AnsibleFilterError('audit_fleet: give a dict of host name to audit_info result, got %r' % (results,))
    try:
        return fleet(dict((str(name), result) for name, result in results.items()), fail_on)
    except AuditError as exc:
        raise AnsibleFilterError('audit_fleet: fail_on: %s' % to_native(exc))


class FilterModule:
    def filters(self):
        return {'audit_fleet': audit_fleet}
