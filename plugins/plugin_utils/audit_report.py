# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet port report on the controller: every host's audit in one structure, as JSON and Markdown.

fleet() gathers the results of wso2ops.micro_integrator.audit_info (one per host) with the fleet
summary; render_json() and render_markdown() write it out (the HTML page is audit_html.py).
Pure functions of plain data, so that the report is tested without Ansible.
"""

import json
import time

from ansible_collections.wso2ops.micro_integrator.plugins.plugin_utils.audit_picture import (
    control_plane_text,
    picture_lines,
)
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.audit.findings import (
    SEVERITIES,
    AuditError,
    at_or_above,
    count_by_severity,
    finding,
    rank,
    worst,
)

FORMAT_VERSION = 1


def _failure(result):
    """Why a host has no audit, or None when it has one."""
    if result is None:
        return 'no audit result (the host was not in the play when the audit ran)'
    if result.get('unreachable'):
        return 'unreachable: %s' % (result.get('msg') or 'no connection')
    if result.get('failed') or 'instances' not in result:
        return result.get('msg') or 'the audit module failed'
    return None


def _host(name, result):
    error = _failure(result)
    if error:
        item = finding('not_audited', None, error)
        return {'host': name, 'audited': False, 'error': error, 'firewall': None, 'instances': [],
                'findings': [dict(item, host=name)]}
    findings = [dict(item, host=name) for item in result['findings']]
    instances = [dict(instance, findings=[dict(item, host=name) for item in instance['findings']])
                 for instance in result['instances']]
    return {'host': name, 'audited': True, 'error': None, 'firewall': result.get('firewall'), 'instances': instances,
            'findings': findings}


def sort_findings(findings):
    """Highest severity first, then host, instance and first port."""
    return sorted(findings, key=lambda item: (rank(item['severity']), item.get('host') or '',
                                              item.get('instance') or '', (item.get('ports') or [0])[0],
                                              item['kind']))


def fleet(results, fail_on='none', generated=None):
    """The fleet report: results maps host name -> audit_info result (None or a failed/unreachable result
    for a host that has none). fail_on: the severity from which findings fail the audit ('none': never)."""
    rank(fail_on)  # refuses an unknown severity before anything is written
    hosts = [_host(name, results[name]) for name in sorted(results)]
    return _report(hosts, fail_on, generated or time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()))


def _report(hosts, fail_on, generated):
    findings = sort_findings([item for host in hosts for item in host['findings']])
    failing = at_or_above(findings, fail_on) if fail_on != 'none' else []
    summary = {
        'hosts': len(hosts), 'hosts_not_audited': sum(1 for host in hosts if not host['audited']),
        'instances': sum(len(host['instances']) for host in hosts),
        'ports': sum(len(instance['rows']) for host in hosts for instance in host['instances']),
        'findings': count_by_severity(findings), 'worst': worst(findings), 'fail_on': fail_on,
        'failing': len(failing),
    }
    return {'format_version': FORMAT_VERSION, 'generated': generated, 'summary': summary, 'findings': findings,
            'hosts': hosts}


def host_view(report, name):
    """The fleet report of one host (its page: the same summary, findings and picture for that host alone)."""
    hosts = [host for host in report['hosts'] if host['host'] == name]
    if not hosts:
        raise AuditError('host %r is not in the report; its hosts are %s' % (
            name, ', '.join(host['host'] for host in report['hosts']) or 'none'))
    return _report(hosts, report['summary']['fail_on'], report['generated'])


def render_json(report):
    return json.dumps(report, indent=2, sort_keys=True) + '\n'


def _cell(value):
    """A Markdown table cell: pipes escaped, one line."""
    return ' '.join(str('' if value is None else value).split()).replace('\\', '\\\\').replace('|', '\\|')


def _row(values):
    return '| %s |' % ' | '.join(_cell(value) for value in values)


def render_markdown(report):
    summary = report['summary']
    lines = ['# WSO2 MI port audit', '', 'Generated %s.' % report['generated'], '',
             _row(['hosts', 'instances', 'ports'] + list(SEVERITIES)),
             _row(['---'] * (3 + len(SEVERITIES))),
             _row([summary['hosts'], summary['instances'], summary['ports']]
                  + [summary['findings'][severity] for severity in SEVERITIES]), '']
    if summary['fail_on'] != 'none':
        lines += ['**%d finding(s) at or above %s** (fail_on).' % (summary['failing'], summary['fail_on'])
                  if summary['failing'] else 'No finding at or above %s (fail_on).' % summary['fail_on'], '']
    lines += ['## Findings', '']
    if not report['findings']:
        lines += ['No drift: every instance listens on what it is configured for, and the firewall agrees.', '']
    else:
        lines += [_row(['severity', 'host', 'instance', 'ports', 'finding', 'fix']), _row(['---'] * 6)]
        lines += [_row([item['severity'], item['host'], item['instance'] or '-', ', '.join(map(str, item['ports'])),
                        item['message'], item['fix']]) for item in report['findings']]
        lines.append('')
    lines += ['## Hosts', '']
    for host in report['hosts']:
        if not host['audited']:
            lines.append('- **%s**: not audited (%s)' % (_cell(host['host']), _cell(host['error'])))
            continue
        firewall = host['firewall'] or {}
        lines.append('- **%s** (firewall: %s): %s' % (_cell(host['host']), _cell(firewall.get('backend')), ', '.join(
            '%s %s' % (_cell(instance['name']), _instance_ports(instance)) for instance in host['instances'])
            or 'no instance'))
        lines.extend(_picture(host))
    return '\n'.join(lines) + '\n'


def _picture(host):
    """The picture of every instance of an audited host, as text (audit_picture.picture_lines)."""
    lines = []
    for instance in host['instances']:
        lines.append('  - %s: %s' % (_cell(instance['name']), _cell(control_plane_text(instance.get('control_plane')))))
        lines.extend('    - %s' % _cell(line) for line in picture_lines(instance))
    return lines


def _instance_ports(instance):
    ports = [str(row['port']) for row in instance['rows'] if row['listening']]
    return '(listening on %s)' % ', '.join(ports) if ports else '(not listening)'
