# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who reaches what, per audited instance: its listeners grouped by exposure, the sources the firewall lets reach
each group, the load balancer and control plane links, and what is unguarded or broken.

picture() is plain data (the report's JSON carries the same facts); picture_lines() is its text form (Markdown);
picture_svg() draws it as inline SVG (no external asset, no script), every value escaped.
"""

from html import escape

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.audit.findings import SEVERITIES, rank

GROUPS = (('public', 'Public (API, proxy)'), ('monitoring', 'Monitoring (health, metrics)'),
          ('management', 'Management (Management API)'), (None, 'Other listeners'))
BROKEN_FROM = rank('medium')  # a finding of this severity or higher on a port draws it red
_CONTROL_PLANE_BROKEN = ('control_plane_port', 'control_plane_blocked', 'control_plane_host')
_HEARTBEAT_BROKEN = ('control_plane_unreachable', 'control_plane_settings')


def _reach_text(reach):
    state = (reach or {}).get('state', 'unknown')
    if state == 'sources':
        return 'from ' + ', '.join(reach['sources'])
    return {'any': 'from any address', 'closed': 'from nobody', 'local': 'loopback only'}.get(state, 'unknown')


def _severities(instance):
    found = {}
    for item in instance['findings']:
        for port in item['ports']:
            found[port] = min(found.get(port, len(SEVERITIES)), rank(item['severity']))
    return found


def _group(instance, exposure, title, severities):
    rows = [row for row in instance['rows'] if row.get('exposure') == exposure]
    ports = [{'port': row['port'], 'name': row.get('name') or '-', 'listening': row['listening'],
              'configured': row['configured'], 'findings': list(row['findings']),
              'broken': severities.get(row['port'], len(SEVERITIES)) <= BROKEN_FROM} for row in rows]
    reaches = []
    for row in rows:
        text = _reach_text(row.get('reachable'))
        if row['listening'] and text not in reaches:
            reaches.append(text)
    unguarded = exposure == 'management' and any(
        (row.get('reachable') or {}).get('state') == 'any' and row['listening'] for row in rows)
    return {'exposure': exposure or 'other', 'title': title, 'ports': ports, 'sources': reaches,
            'unguarded': unguarded}


def _kinds(instance):
    return set(item['kind'] for item in instance['findings'])


def _links(instance, groups):
    kinds = _kinds(instance)
    links = []
    public = [p for g in groups if g['exposure'] == 'public' for p in g['ports'] if p['configured']]
    if public:
        links.append({'kind': 'load_balancer', 'from': 'load balancer', 'to': [p['port'] for p in public],
                      'label': 'traffic to %s' % ', '.join(str(p['port']) for p in public),
                      'broken': any(p['broken'] or not p['listening'] for p in public)})
    health = [row for row in instance['rows'] if 'readiness_probe' in (row.get('apis') or [])]
    if health:
        row = health[0]
        links.append({'kind': 'health_check', 'from': 'load balancer', 'to': [row['port']],
                      'label': 'health check /healthz on %d' % row['port'],
                      'broken': not row['listening'] or (row.get('reachable') or {}).get('state') == 'closed'})
    plane = instance.get('control_plane')
    if plane:
        told, real = plane['advertised'], plane['management']
        name = 'ICP' if plane['kind'] == 'icp' else 'dashboard'
        where = '%s:%s' % (plane.get('host') or '?', plane.get('port') or '?')
        links.append({'kind': 'control_plane', 'from': '%s %s' % (name, where), 'to': [real['port']],
                      'label': 'calls back %s:%s' % (told['host'] or '?', told['port'] or '?'),
                      'broken': bool(kinds & set(_CONTROL_PLANE_BROKEN)), 'allowed': plane.get('allowed')})
        links.append({'kind': 'heartbeat', 'from': instance['name'], 'to': [plane.get('port')],
                      'label': 'heartbeat to %s every %s s' % (where, plane.get('heartbeat_interval') or '?'),
                      'broken': bool(kinds & set(_HEARTBEAT_BROKEN))})
    return links


def picture(instance):
    """{groups: [{exposure, title, ports: [{port, name, listening, configured, findings, broken}], sources,
    unguarded}], links: [{kind, from, to, label, broken}]} of one instance of the report."""
    severities = _severities(instance)
    groups = [_group(instance, exposure, title, severities) for exposure, title in GROUPS]
    groups = [group for group in groups if group['ports']]
    return {'groups': groups, 'links': _links(instance, groups)}


def control_plane_text(plane):
    """One line on the instance's control plane (no secret: the report never holds one)."""
    if not plane:
        return 'no control plane'
    told, real = plane['advertised'], plane['management']
    return '%s at %s (%s), told to call back %s:%s, Management API over HTTPS on %s%s' % (
        'ICP' if plane['kind'] == 'icp' else 'dashboard', plane.get('url'), plane.get('key'), told['host'] or '?',
        told['port'] or '?', real['port'] if real['listening'] is not False else 'no port',
        {True: ', firewall lets it through', False: ', firewall blocks it'}.get(plane.get('allowed'), ''))


def picture_lines(instance):
    """The picture as text lines (BROKEN and UNGUARDED in capitals)."""
    drawn = picture(instance)
    lines = []
    for group in drawn['groups']:
        ports = ', '.join('%d %s%s%s' % (p['port'], p['name'], '' if p['listening'] else ' (not listening)',
                                         ' BROKEN' if p['broken'] else '') for p in group['ports'])
        lines.append('%s: %s; reached %s%s' % (group['exposure'], ports, '; '.join(group['sources']) or 'by nobody',
                                               ' UNGUARDED' if group['unguarded'] else ''))
    for link in drawn['links']:
        lines.append('%s -> %s: %s%s' % (link['from'], ', '.join(str(p) for p in link['to']), link['label'],
                                         ' BROKEN' if link['broken'] else ''))
    return lines


# -- SVG ----------------------------------------------------------------------------------------------
_W, _LEFT, _BOX, _RIGHT = 960, 16, 230, 470  # width; x and width of the client boxes; x of the instance's groups
_ROW, _HEAD, _LINE = 20, 26, 14


def _e(value):
    return escape('' if value is None else str(value), quote=True)


def _text(x, y, text, css='', anchor='start'):
    return '<text x="%d" y="%d" class="%s" text-anchor="%s">%s</text>' % (x, y, css, anchor, _e(text))


def _head(x, y, direction):
    """An arrow head at (x, y) pointing right (1) or left (-1)."""
    back = x - 8 * direction
    return '<polygon class="head" points="%d,%d %d,%d %d,%d"/>' % (x, y, back, y - 4, back, y + 4)


def _curve(x0, y0, x1, y1, direction=1):
    middle = (x0 + x1) // 2
    return '<path d="M%d %d C %d %d, %d %d, %d %d"/>%s' % (x0, y0, middle, y0, middle, y1, x1, y1,
                                                           _head(x1, y1, direction))


def _groups_svg(drawn):
    """(svg, {port: y}, {exposure: title y}, bottom) of the instance's groups, top to bottom."""
    y, rows, titles, parts = 20, {}, {}, []
    for group in drawn['groups']:
        top, titles[group['exposure']] = y, y + 17
        ports = []
        for index, port in enumerate(group['ports']):
            row_y = top + _HEAD + index * _ROW + 14
            rows.setdefault(port['port'], row_y - 4)
            ports.append('<g class="port%s" data-port="%d">%s%s</g>' % (
                ' broken' if port['broken'] else '', port['port'], _text(_RIGHT + 14, row_y, port['port'], 'num'),
                _text(_RIGHT + 64, row_y, '%s - %s%s' % (port['name'], 'listening' if port['listening'] else
                                                         'not listening', (' - ' + ', '.join(port['findings']))
                                                         if port['findings'] else ''))))
        height = _HEAD + len(group['ports']) * _ROW + 4
        reached = 'reached ' + ('; '.join(group['sources']) or 'by nobody')
        parts.append('<g class="group%s" data-exposure="%s"><rect x="%d" y="%d" width="%d" height="%d" rx="6"/>%s%s%s'
                     '</g>' % (' unguarded' if group['unguarded'] else '', _e(group['exposure']), _RIGHT, top,
                               _W - _RIGHT - 16, height, _text(_RIGHT + 10, top + 17, group['title'], 'title'),
                               _text(_W - 26, top + 17, reached, 'sources' + (' broken' if group['unguarded'] else ''),
                                     'end'), ''.join(ports)))
        y = top + height + 12
    return ''.join(parts), rows, titles, y


def _clients_svg(links, rows, titles):
    """(svg, bottom): one box per client (the load balancer, the control plane), its links' labels under it, and an
    arrow per link to each port it reaches; the heartbeat goes back from the management group to the control plane."""
    clients = []
    for link in links:
        if link['kind'] == 'heartbeat':
            clients[-1][1].append(link)
        elif clients and clients[-1][0] == link['from']:
            clients[-1][1].append(link)
        else:
            clients.append((link['from'], [link]))
    y, parts = 20, []
    for name, own in clients:
        middle = y + 15
        broken = any(link['broken'] for link in own)
        items = ['<rect x="%d" y="%d" width="%d" height="30" rx="4" class="client%s"/>' % (
            _LEFT, y, _BOX, ' broken' if broken else ''), _text(_LEFT + 8, y + 19, name, 'client')]
        for index, link in enumerate(own):
            label = _text(_LEFT + 8, y + 44 + index * _LINE, link['label'], 'label')
            if link['kind'] == 'heartbeat':
                start = titles.get('management', middle)
                arrows = _curve(_RIGHT - 2, start + 6, _LEFT + _BOX + 2, middle + 8, -1)
            else:
                arrows = ''.join(_curve(_LEFT + _BOX, middle - 4 + 4 * index, _RIGHT - 2, rows[port])
                                 for port in link['to'] if port in rows)
            items.append('<g class="link%s" data-kind="%s">%s%s</g>' % (
                ' broken' if link['broken'] else '', _e(link['kind']), arrows, label))
        parts.append('<g class="client-box">%s</g>' % ''.join(items))
        y += 30 + 16 + len(own) * _LINE + 10
    return ''.join(parts), y


def picture_svg(instance):
    """The picture of one instance as an inline SVG element (no script, nothing loaded)."""
    drawn = picture(instance)
    groups, rows, titles, bottom = _groups_svg(drawn)
    clients, client_bottom = _clients_svg(drawn['links'], rows, titles)
    height = max(bottom, client_bottom) + 4
    title = 'Who reaches %s: listeners by exposure, allowed sources, load balancer and control plane' % instance['name']
    return ('<svg class="picture" role="img" viewBox="0 0 %d %d" width="%d" height="%d" aria-label="%s"><title>%s'
            '</title>%s%s</svg>' % (_W, height, _W, height, _e(title), _e(title), groups, clients))


CSS = """
svg.picture{display:block;max-width:100%;height:auto;margin:6px 0 14px;font:12px system-ui,sans-serif;
background:#fbfcfd;border:1px solid var(--line);border-radius:6px}
svg.picture .group rect{fill:#fff;stroke:#9aa4ae}svg.picture .group.unguarded rect{stroke:var(--high);stroke-width:2}
svg.picture .title{font-weight:600;fill:#1d2329}svg.picture .num{font-variant-numeric:tabular-nums;font-weight:600}
svg.picture .port text{fill:#1d2329}svg.picture .port.broken text{fill:var(--high);font-weight:600}
svg.picture .sources{fill:#55606b}svg.picture .sources.broken{fill:var(--high);font-weight:600}
svg.picture rect.client{fill:var(--soft);stroke:#9aa4ae}svg.picture .client{fill:#1d2329}
svg.picture .link path{fill:none;stroke:var(--ok);stroke-width:1.6}svg.picture .label{fill:#55606b;font-size:11px}
svg.picture .link.broken path{stroke:var(--high);stroke-dasharray:5 3}svg.picture .link.broken .label{fill:var(--high)}
svg.picture rect.client.broken{stroke:var(--high)}svg.picture .head{fill:var(--ok)}
svg.picture .link.broken .head{fill:var(--high)}
"""
