# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""nftables backend: our own ``table inet wso2ops_mi``, in a file loaded at boot by our own unit.

read: ``nft -j list table`` (the loaded table, parsed into rule lines), the file, the unit file and
the unit's state. plan: compare with the table the desired rules give. apply: write the file
(checked with ``nft -c -f``) and the unit, enable and start the unit, or load the file with ``nft -f``.
The file replaces only our table (declare, delete, define: one transaction); no other table is touched.
"""

import ipaddress
import json
import re

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall import nft_json
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall.rules import OWNER, Action, Plan, owner_tag

TABLE = 'wso2ops_mi'
FILE = '/etc/wso2ops-mi-ports.nft'
UNIT = 'wso2ops-mi-ports.service'
UNIT_PATH = '/etc/systemd/system/' + UNIT
# type, hook, priority, policy of our one chain: a packet must pass every base chain of the hook,
# so policy accept here leaves everything else to the host's own tables.
HOOK = ('filter', 'input', 0, 'accept')
LOOPBACK_COMMENT = '%s loopback' % OWNER
DROP_COMMENT = '%s restricted ports, other sources' % OWNER

UNIT_TEXT = """\
# Managed by wso2ops.micro_integrator.firewall: loads table inet {table} (the WSO2 MI ports).
[Unit]
Description=nftables table inet {table} (WSO2 MI ports, wso2ops.micro_integrator)
Documentation=file://{file}
# Loaded before the network comes up, and after nftables.service, whose start flushes the
# whole ruleset; a restart or reload of nftables.service restarts or reloads this unit too.
DefaultDependencies=no
Wants=network-pre.target
Before=network-pre.target shutdown.target
After=nftables.service
PartOf=nftables.service
ReloadPropagatedFrom=nftables.service
Conflicts=shutdown.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/sbin/nft -f {file}
ExecReload=/usr/sbin/nft -f {file}
ExecStop=-/usr/sbin/nft delete table inet {table}

[Install]
WantedBy=sysinit.target
""".format(table=TABLE, file=FILE)

FILE_HEAD = """\
# Managed by wso2ops.micro_integrator.firewall: the ports of WSO2 Micro Integrator on this host.
# This file replaces only the table inet {table}; it never touches other tables.
# An accept here does not override a drop in another table: a host whose own input chain
# has policy drop must allow these ports there too.

# Declare, then delete, then define: one atomic transaction that works whether or not
# the table exists (nft 'destroy' needs nftables >= 1.0.8).
table inet {table}
delete table inet {table}

""".format(table=TABLE)


# -- rule lines: one syntax for the desired table, the loaded table and the diff --------------------
def rule_line(iif=None, saddr=None, dports=None, counter=False, verdict='accept', comment=None):
    """One rule as nft prints it; saddr is a canonical network, dports a tuple of ports."""
    parts = []
    if iif:
        parts.append('iif "%s"' % iif)
    if saddr:
        network = ipaddress.ip_network(saddr)
        parts.append('%s saddr %s' % ('ip' if network.version == 4 else 'ip6', network))
    if dports:
        parts.append('tcp dport %s' % (dports[0] if len(dports) == 1 else '{ %s }' % ', '.join(map(str, dports))))
    if counter:
        parts.append('counter')
    parts.append(verdict)
    if comment is not None:
        parts.append('comment "%s"' % comment)
    return ' '.join(parts)


def desired_table(desired, kept=((), ())):
    """{chain: {'hook': HOOK, 'rules': [lines]}}: loopback, the allow rules, then the drop.

    kept: (allow lines, restricted ports) of the loaded table to keep (remove_stale false, see _stale)."""
    lines = [rule_line(iif='lo', comment=LOOPBACK_COMMENT)]
    for rule in desired.rules:
        lines.append(rule_line(saddr=rule.source, dports=(rule.port,), comment=owner_tag(rule.instance, rule.name)))
    lines.extend(line for line in kept[0] if line not in lines)
    restricted = sorted(set(desired.restricted) | set(kept[1]))
    if restricted:
        lines.append(rule_line(dports=tuple(restricted), counter=True, verdict='drop', comment=DROP_COMMENT))
    return {'input': {'hook': HOOK, 'rules': lines}}


_DPORTS = re.compile(r'tcp dport (?:\{ ([\d, ]+) \}|(\d+))')


def _stale(table):
    """(our allow lines, restricted ports) of the loaded table. Kept, a port of before stays open to its sources
    and closed to the others: its drop stays with its accepts."""
    lines, restricted = [], set()
    for line in ((table or {}).get('input') or {}).get('rules', []):
        found = _DPORTS.search(line)
        if line.endswith('comment "%s"' % DROP_COMMENT) and found:
            restricted.update(int(port) for port in (found.group(1) or found.group(2)).split(', '))
        elif found and 'comment "%s ' % OWNER in line and not line.startswith('unrecognised'):
            lines.append(line)
    return lines, restricted


def _hook_text(hook):
    kind, name, prio, policy = hook
    return 'type %s hook %s priority %s; policy %s;' % (kind, name, 'filter' if prio == 0 else prio, policy)


def table_lines(table):
    """The table as nft prints it (one line per statement), for the diff."""
    if table is None:
        return []
    lines = ['table inet %s {' % TABLE]
    for name in sorted(table):
        chain = table[name]
        lines.append('\tchain %s {' % name)
        if chain['hook']:
            lines.append('\t\t' + _hook_text(chain['hook']))
        lines.extend('\t\t' + line for line in chain['rules'])
        lines.append('\t}')
    lines.append('}')
    return lines


def render_file(table):
    return FILE_HEAD + '\n'.join(table_lines(table)) + '\n'


# -- reading nft's JSON ---------------------------------------------------------------------------
def _match(fields, match):
    """Fold one match expression into fields; ValueError for anything this backend never writes."""
    left, right = match.get('left', {}), match.get('right')
    if match.get('op') not in ('==', 'in'):
        raise ValueError(match)
    if left.get('meta', {}).get('key') in ('iif', 'iifname'):
        fields['iif'] = right
    elif left.get('payload', {}).get('field') == 'saddr' and left['payload'].get('protocol') in ('ip', 'ip6'):
        fields['saddr'] = nft_json.network(right)
    elif left.get('payload') == {'protocol': 'tcp', 'field': 'dport'}:
        fields['dports'] = tuple(sorted(port for low, high in nft_json.port_ranges(right)
                                        for port in range(low, high + 1)))
    else:
        raise ValueError(match)


def parse_rule(rule):
    """One rule of `nft -j` output as a rule line; a rule of another shape as its JSON (never equal)."""
    fields = {'comment': rule.get('comment'), 'verdict': None}
    try:
        for expr in rule.get('expr', []):
            if 'match' in expr:
                _match(fields, expr['match'])
            elif 'counter' in expr:
                fields['counter'] = True
            elif len(expr) == 1 and list(expr)[0] in ('accept', 'drop') and fields['verdict'] is None:
                fields['verdict'] = list(expr)[0]
            else:
                raise ValueError(expr)
        if fields['verdict'] is None:
            raise ValueError('no verdict')
    except (ValueError, KeyError, TypeError, AttributeError):
        return 'unrecognised rule: %s' % json.dumps(rule.get('expr'), sort_keys=True)
    return rule_line(**fields)


def parse_table(text):
    """`nft -j list table inet wso2ops_mi` as {chain: {'hook', 'rules'}}."""
    chains, order = nft_json.load(text)
    return dict((name, {'hook': (chain['type'], chain['hook'], chain.get('prio'), chain.get('policy'))
                        if 'hook' in chain else None,
                        'rules': [parse_rule(item) for item in chain['rules']]})
                for (dummy, dummy, name), chain in ((key, chains[key]) for key in order))


def parse_chains(text):
    """`nft -j list chains` as a list of base chains {family, table, name, hook, policy}."""
    chains, order = nft_json.load(text)
    return [dict((key, chains[k].get(key)) for key in ('family', 'table', 'name', 'hook', 'policy'))
            for k in order if 'hook' in chains[k]]


def foreign_input_chains(chains):
    """Base chains on the input hook that are not ours."""
    return [c for c in chains if c['hook'] == 'input' and not (c['family'] == 'inet' and c['table'] == TABLE)]


# -- read / plan / apply --------------------------------------------------------------------------
def read(host, units, input_chains=None):
    """Plain data: the loaded table (None when absent), the files, the unit state, other input chains.

    input_chains: the base chains on the input hook when detection already listed them."""
    if not host.which('nft'):
        return {'nft': False}
    rc, out, err = host.run(['nft', '-j', 'list', 'table', 'inet', TABLE], check=False)
    if rc != 0 and 'No such file or directory' not in err:
        host.fail('nft -j list table inet %s failed: %s' % (TABLE, err.strip()))
    if input_chains is None:
        input_chains = parse_chains(host.run(['nft', '-j', 'list', 'chains'])[1])
    return {
        'nft': True,
        'table': parse_table(out) if rc == 0 else None,
        'file': host.read(FILE),
        'unit_file': host.read(UNIT_PATH),
        'unit': units.get(UNIT, {}),
        'systemd': host.systemd(),
        'other_input_chains': foreign_input_chains(input_chains),
    }


def plan(desired, current, keep=False):
    """Actions that make our table, file and unit match the desired rules (keep: and keep our rules of before)."""
    if not current.get('nft'):
        return Plan([], [], [], ['nft is not installed; install the nftables package or choose another backend'],
                    guarded=False)
    table = desired_table(desired, _stale(current['table']) if keep else ((), ()))
    text = render_file(table)
    actions = []
    if current['file'] != text:
        actions.append(Action('write', (FILE, text), 'write %s' % FILE))
    if current['systemd']:
        actions.extend(_unit_actions(current))
    unit_starts = any(action.verb == 'start' for action in actions)
    if not unit_starts and (current['table'] != table or current['file'] != text):
        actions.append(Action('load', (FILE,), 'load %s (replaces table inet %s only)' % (FILE, TABLE)))
    warnings = [] if current['systemd'] else [
        'systemd is not running: table inet %s is loaded now but not at boot' % TABLE]
    warnings.extend(_policy_drop_warnings(desired, current))
    before = current['table'] or {}
    return Plan(actions, _rules(before), _rules(table), [], warnings, True,
                diff=(_text(table_lines(current['table'])), _text(table_lines(table))))


def _rules(table):
    return [line for name in sorted(table) for line in table[name]['rules']]


def _text(lines):
    return '\n'.join(lines) + '\n' if lines else ''


def _unit_actions(current):
    actions = []
    if current['unit_file'] != UNIT_TEXT:
        actions.append(Action('write', (UNIT_PATH, UNIT_TEXT), 'write %s' % UNIT_PATH))
        actions.append(Action('systemctl', ('daemon-reload',), 'systemctl daemon-reload'))
    if current['unit'].get('UnitFileState') != 'enabled':
        actions.append(Action('systemctl', ('enable', UNIT), 'systemctl enable %s (loads the table at boot)' % UNIT))
    if current['unit'].get('ActiveState') != 'active':
        actions.append(Action('start', (UNIT,), 'systemctl start %s (loads %s)' % (UNIT, FILE)))
    return actions


def _policy_drop_warnings(desired, current):
    if not desired.rules:
        return []
    return ['table %s %s, chain %s, has policy drop on input: an accept in table inet %s does not open a port '
            'there, so accept the MI ports in that table too (the module never edits it)'
            % (c['family'], c['table'], c['name'], TABLE)
            for c in current['other_input_chains'] if c.get('policy') == 'drop']


def apply(host, actions):
    for action in actions:
        if action.verb == 'write':
            path, text = action.args
            host.write(path, text, validate=['nft', '-c', '-f'] if path == FILE else None)
        elif action.verb == 'systemctl':
            host.run(['systemctl'] + list(action.args))
        elif action.verb == 'start':
            host.run(['systemctl', 'start', action.args[0]])
        elif action.verb == 'load':
            host.run(['nft', '-f', action.args[0]])
        host.done.append(action.text)
