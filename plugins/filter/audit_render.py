# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: audit_render
short_description: Write the fleet port report as a self-contained HTML page, JSON or Markdown
version_added: 0.2.0
description:
  - Renders the report of P(wso2ops.micro_integrator.audit_fleet#filter).
  - C(html) is one page without external assets (inline CSS and JavaScript); a sortable table per host and instance
    (click a column header), drift highlighted by severity, the fleet summary on top. Every value is HTML-escaped.
  - Per instance, a picture (inline SVG, no script) of its listeners grouped by exposure, the sources the firewall
    lets reach each group, the load balancer's links (traffic and the C(/healthz) check) and the control plane's (the
    port it is told to call back, the heartbeat), with what is unguarded or broken in red.
  - C(json) holds the same data for other tools; C(markdown) the summary, the findings and the picture as text.
author: wso2ops contributors (@wso2ops)
positional: format
options:
  _input:
    description: The fleet report.
    type: dict
    required: true
  format:
    description: The output format.
    type: str
    choices: [html, json, markdown]
    default: html
  host:
    description:
      - Render the page of this host only (its summary, findings, and per instance the picture of who reaches what);
        omitted, the whole fleet.
    type: str
"""

EXAMPLES = r"""
- name: Write the page
  ansible.builtin.copy:
    content: "{{ fleet | wso2ops.micro_integrator.audit_render('html') }}"
    dest: reports/mi-audit.html
    mode: "0644"
  delegate_to: localhost

- name: Write the page of one host
  ansible.builtin.copy:
    content: "{{ fleet | wso2ops.micro_integrator.audit_render('html', host='mi1') }}"
    dest: reports/mi-audit-mi1.html
    mode: "0644"
  delegate_to: localhost
"""

RETURN = r"""
_value:
  description: The text of the report.
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.wso2ops.micro_integrator.plugins.plugin_utils.audit_html import render_html
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.audit.findings import AuditError
from ansible_collections.wso2ops.micro_integrator.plugins.plugin_utils.audit_report import (
    host_view,
    render_json,
    render_markdown,
)

RENDERERS = {'html': render_html, 'json': render_json, 'markdown': render_markdown}


def audit_render(report, format='html', host=None):
    if format not in RENDERERS:
        raise AnsibleFilterError('audit_render: format %r is not one of %s' % (format, ', '.join(sorted(RENDERERS))))
    if not isinstance(report, dict) or 'summary' not in report:
        raise AnsibleFilterError('audit_render: give the report of the audit_fleet filter, got %r' % (report,))
    if host is not None:
        try:
            report = host_view(report, host)
        except AuditError as exc:
            raise AnsibleFilterError('audit_render: %s' % exc)
    return RENDERERS[format](report)


class FilterModule:
    def filters(self):
        return {'audit_render': audit_render}
