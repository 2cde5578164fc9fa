# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet port report as one self-contained HTML page: no external asset, inline CSS and JavaScript.

The tables are rendered here (the page reads without JavaScript); the script only sorts a table when
its header is clicked. Every value from the hosts is escaped: a host name, path or message may hold
any character.
"""

from html import escape

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.audit.findings import SEVERITIES, rank
from ansible_collections.wso2ops.micro_integrator.plugins.plugin_utils import audit_picture

CSS = """
:root{--critical:#8b0000;--high:#c0392b;--medium:#d35400;--low:#7d6608;--info:#2c6e91;--ok:#1e7b34;
--line:#d7dbe0;--soft:#f4f6f8}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2329;background:#fff}
header{background:#1d2b3a;color:#fff;padding:16px 28px}
header h1{margin:0;font-size:20px}
header p{margin:4px 0 0;color:#c6d0da}
main{padding:16px 28px 40px}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:4px 0 18px}
.card{border:1px solid var(--line);border-radius:6px;padding:8px 14px;min-width:92px;background:var(--soft)}
.card b{display:block;font-size:22px}
.card span{color:#55606b;font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card.critical b{color:var(--critical)}.card.high b{color:var(--high)}.card.medium b{color:var(--medium)}
.card.low b{color:var(--low)}.card.info b{color:var(--info)}
.verdict{padding:8px 12px;border-radius:6px;margin:0 0 16px;font-weight:600}
.verdict.fail{background:#fbe3e1;color:var(--critical)}.verdict.pass{background:#e3f4e7;color:var(--ok)}
h2{font-size:17px;margin:26px 0 6px;border-bottom:2px solid var(--line);padding-bottom:4px}
h3{font-size:15px;margin:18px 0 4px}
.meta{color:#55606b;margin:0 0 6px;font-size:13px}
table{border-collapse:collapse;width:100%;margin:4px 0 12px;font-size:13px}
th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:var(--soft);white-space:nowrap}
th button{all:unset;cursor:pointer;font-weight:600}
th button::after{content:" \\2195";color:#9aa4ae}
th[aria-sort=ascending] button::after{content:" \\2191";color:#1d2329}
th[aria-sort=descending] button::after{content:" \\2193";color:#1d2329}
td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.drift td:first-child{box-shadow:inset 4px 0 0 var(--sev)}
tr.drift{background:color-mix(in srgb,var(--sev) 7%,#fff)}
tr.sev-critical{--sev:var(--critical)}tr.sev-high{--sev:var(--high)}tr.sev-medium{--sev:var(--medium)}
tr.sev-low{--sev:var(--low)}tr.sev-info{--sev:var(--info)}
td.bad{color:var(--high);font-weight:600}td.good{color:var(--ok)}
.sev{display:inline-block;border-radius:3px;padding:0 6px;color:#fff;font-size:12px;font-weight:600}
.sev.critical{background:var(--critical)}.sev.high{background:var(--high)}.sev.medium{background:var(--medium)}
.sev.low{background:var(--low)}.sev.info{background:var(--info)}
.kind{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
.muted{color:#7a848e}
"""

# Sorts the table whose header button was clicked: by data-sort when a cell has it, numbers as numbers.
SCRIPT = """
(function(){
  function key(cell){
    var v=cell.getAttribute('data-sort');if(v===null){v=cell.textContent.trim();}
    var n=Number(v);return v!==''&&!isNaN(n)?[0,n]:[1,v.toLowerCase()];
  }
  function compare(a,b){
    if(a[0]!==b[0]){return a[0]-b[0];}
    return a[1]<b[1]?-1:a[1]>b[1]?1:0;
  }
  function sort(th){
    var table=th.closest('table'),body=table.tBodies[0],index=Array.prototype.indexOf.call(th.parentNode.children,th);
    var up=th.getAttribute('aria-sort')!=='ascending';
    Array.prototype.forEach.call(th.parentNode.children,function(h){h.removeAttribute('aria-sort');});
    th.setAttribute('aria-sort',up?'ascending':'descending');
    var rows=Array.prototype.slice.call(body.rows);
    rows.sort(function(a,b){var c=compare(key(a.cells[index]),key(b.cells[index]));return up?c:-c;});
    rows.forEach(function(row){body.appendChild(row);});
  }
  document.querySelectorAll('table.sortable th').forEach(function(th){
    var button=th.querySelector('button');if(button){button.addEventListener('click',function(){sort(th);});}
  });
})();
"""


def _e(value):
    return escape('' if value is None else str(value), quote=True)


def _th(names):
    cells = ['<th scope="col"><button type="button">%s</button></th>' % _e(name) for name in names]
    return '<thead><tr>%s</tr></thead>' % ''.join(cells)


def _td(value, sort=None, css=None, title=None):
    attrs = ''
    if sort is not None:
        attrs += ' data-sort="%s"' % _e(sort)
    if css:
        attrs += ' class="%s"' % css
    if title:
        attrs += ' title="%s"' % _e(title)
    return '<td%s>%s</td>' % (attrs, value)


def _badge(severity):
    return '<span class="sev %s">%s</span>' % (_e(severity), _e(severity))


def _cards(summary):
    cards = [('hosts', summary['hosts'], ''), ('instances', summary['instances'], ''), ('ports', summary['ports'], '')]
    cards += [(severity, summary['findings'][severity], severity) for severity in SEVERITIES]
    return '<div class="cards" id="summary">%s</div>' % ''.join(
        '<div class="card %s" data-count="%s"><b>%s</b><span>%s</span></div>' % (css, _e(name), _e(count), _e(name))
        for name, count, css in cards)


def _verdict(summary):
    if summary['fail_on'] == 'none':
        return ''
    if summary['failing']:
        return '<p class="verdict fail">%d finding(s) at or above %s: the audit fails (fail_on).</p>' % (
            summary['failing'], _e(summary['fail_on']))
    return '<p class="verdict pass">No finding at or above %s (fail_on).</p>' % _e(summary['fail_on'])


def _findings_table(findings):
    if not findings:
        return '<p class="verdict pass" id="no-findings">No drift: every instance listens on what it is configured ' \
               'for, and the firewall agrees.</p>'
    rows = []
    for item in findings:
        rows.append('<tr class="drift sev-%s">%s</tr>' % (_e(item['severity']), ''.join((
            _td(_badge(item['severity']), sort=rank(item['severity'])),
            _td(_e(item.get('host'))), _td(_e(item.get('instance') or '-')),
            _td(_e(', '.join(map(str, item['ports']))), sort=(item['ports'] or [''])[0], css='num'),
            _td('<span class="kind">%s</span><br>%s' % (_e(item['kind']), _e(item['message']))),
            _td(_e(item['fix']))))))
    return '<table class="sortable" id="findings">%s<tbody>%s</tbody></table>' % (
        _th(['Severity', 'Host', 'Instance', 'Ports', 'Finding', 'Fix']), ''.join(rows))


def _configured(row):
    if not row['configured']:
        return _td('no', css='bad' if row['listening'] else None)
    detail = '%s = %s + %s' % (row.get('key'), row.get('base'), row.get('offset')) if row.get('key') else ''
    return _td('yes', title=detail, css='good' if row['listening'] else None)


def _listening(row):
    if not row['listening']:
        return _td('no', css='bad' if row['configured'] else None)
    label = ' (%s)' % row['label'] if row.get('label') else ''
    return _td(_e('%s%s' % (', '.join(row['addresses']), label)), title='pid %s' % ', '.join(map(str, row['pids'])),
               css=None if row['configured'] else 'bad')


def _reachable(row):
    reach = row.get('reachable') or {'state': 'unknown', 'sources': [], 'by': ''}
    text = {'any': 'any address', 'closed': 'closed', 'local': 'loopback only', 'unknown': 'unknown'}.get(
        reach['state'], 'from %s' % ', '.join(reach['sources']))
    return _td(_e(text), sort=reach['state'], title=reach.get('by'))


def _row_severity(row, findings):
    kinds = set(row['findings'])
    found = [item['severity'] for item in findings if item['kind'] in kinds and row['port'] in item['ports']]
    return min(found, key=rank) if found else None


def _instance_table(instance):
    rows = []
    for row in instance['rows']:
        severity = _row_severity(row, instance['findings'])
        css = ' class="drift sev-%s"' % _e(severity) if severity else ''
        rows.append('<tr%s>%s</tr>' % (css, ''.join((
            _td(_e(row['port']), css='num'), _td(_e(row.get('name') or '-'), title=row.get('key')),
            _td(_e(row.get('exposure') or '-')), _configured(row), _listening(row), _reachable(row),
            _td(' '.join('<span class="kind">%s</span>' % _e(kind) for kind in row['findings']),
                sort=rank(severity) if severity else len(SEVERITIES))))))
    if not rows:
        return '<p class="muted">No port configured, listened on or opened.</p>'
    return '<table class="sortable instance">%s<tbody>%s</tbody></table>' % (
        _th(['Port', 'Listener', 'Exposure', 'Configured', 'Listening', 'Reachable', 'Findings']), ''.join(rows))


def _offset_text(offset):
    text = 'offset %s (%s)' % (offset.get('configured'), offset.get('configured_source'))
    if offset.get('running') is not None:
        text += ', running %s (%s)' % (offset['running'], offset.get('running_source'))
    return text


def _instance(instance):
    state = instance.get('state') or ('pid %s' % ', '.join(map(str, instance['pids'])) if instance['running']
                                      else 'not running')  # state: a deployment's manifests (k8s_drift)
    meta = [instance['home'], instance.get('service') or 'no unit', state, _offset_text(instance.get('offset') or {})]
    title = instance['name'] + ('' if instance['listed'] else ' (not in the instance list)')
    plane = '<p class="meta control-plane">%s</p>' % _e(audit_picture.control_plane_text(instance.get('control_plane')))
    return '<h3>%s</h3><p class="meta">%s</p>%s%s%s' % (
        _e(title), _e(' · '.join(meta)), plane, audit_picture.picture_svg(instance) if instance['rows'] else '',
        _instance_table(instance))


def _host(host):
    if not host['audited']:
        return '<section class="host"><h2>%s</h2><p class="verdict fail">Not audited: %s</p></section>' % (
            _e(host['host']), _e(host['error']))
    firewall = host.get('firewall') or {}
    guarded = {True: 'guards the host', False: 'does not guard the host', None: 'unknown'}.get(firewall.get('guarded'))
    meta = 'firewall: %s, %s%s' % (firewall.get('backend'), guarded,
                                   ' (%s)' % firewall['reason'] if firewall.get('reason') else '')
    body = ''.join(_instance(instance) for instance in host['instances']) or '<p class="muted">No MI instance.</p>'
    return '<section class="host"><h2>%s</h2><p class="meta">%s</p>%s</section>' % (_e(host['host']), _e(meta), body)


def render_html(report):
    summary = report['summary']
    return ''.join((
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<title>WSO2 MI port audit</title><style>%s%s</style></head><body>' % (CSS, audit_picture.CSS),
        '<header><h1>WSO2 MI port audit</h1><p>Generated %s by wso2ops.micro_integrator</p></header><main>'
        % _e(report['generated']),
        _cards(summary), _verdict(summary), '<h2>Findings</h2>', _findings_table(report['findings']),
        ''.join(_host(host) for host in report['hosts']),
        '</main><script>%s</script></body></html>\n' % SCRIPT,
    ))
