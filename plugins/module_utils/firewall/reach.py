# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the host firewall lets through to a TCP port, and from which sources: the audit's "reachable".

Pure Python. Each backend's state (as the firewall module's readers return it, or nft's JSON) becomes
chains of plain rules, each {'ports' ([(low, high)] or None for every port), 'source' (network or None
for any address), 'action' ('accept' or 'drop'), 'owner' ('ours' or 'operator'), 'instance', 'name',
'text'}, evaluated in order (the first rule that matches a source decides for it) with the chain's
policy for the rest. A packet must pass every chain (nftables base chains on the input hook), so the
sources that reach a port are those every chain lets through. MI listens on IPv4 only: IPv6 rules
are not evaluated.
"""

import ipaddress
import re

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall import nft_json
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall.rules import OWNER

_MAX_JUMPS = 8


# -- evaluation ------------------------------------------------------------------------------------
def _matches(rule, port):
    return rule['ports'] is None or any(low <= port <= high for low, high in rule['ports'])


def _chain_reach(chain, port):
    """(state, sources, texts) of one chain for port."""
    sources, denied, texts = [], [], []
    for rule in chain['rules']:
        if not _matches(rule, port) or rule['source'] in denied:
            continue
        texts.append(rule['text'])
        if rule['source'] is None:
            if rule['action'] == 'accept':
                return 'any', [], texts
            return ('sources' if sources else 'closed'), sources, texts
        (sources if rule['action'] == 'accept' else denied).append(rule['source'])
    if chain['policy'] == 'any':
        return 'any', [], texts + ['policy accept']
    return ('sources' if sources else 'closed'), sources, texts + ['policy %s' % chain['policy']]


def _within(source, networks):
    network = ipaddress.ip_network(source, strict=False)
    return any(network.version == other.version and network.subnet_of(other)
               for other in (ipaddress.ip_network(item, strict=False) for item in networks))


def _intersect(first, second):
    """Sources that both lists let through (a network inside one of the other's)."""
    return [s for s in first if _within(s, second)] + [s for s in second if _within(s, first) and s not in first]


def reach_of(firewall, port, addresses=()):
    """{'state': any|sources|closed|local|unknown, 'sources': [...], 'by': the rules that decide}.

    addresses: those the port listens on; a socket on loopback only is 'local' whatever the firewall.
    firewall: {'guarded', 'chains': [...]} or None when it was not read ('unknown').
    """
    if addresses and all(_is_loopback(address) for address in addresses):
        return {'state': 'local', 'sources': [], 'by': 'bound to loopback only'}
    if firewall is None:
        return {'state': 'unknown', 'sources': [], 'by': 'firewall not read'}
    if not firewall['guarded']:
        return {'state': 'any', 'sources': [], 'by': 'no firewall'}
    state, sources, texts = 'any', None, []
    for chain in firewall['chains']:
        found, allowed, said = _chain_reach(chain, port)
        texts.append('%s: %s' % (chain['name'], '; '.join(said)) if len(firewall['chains']) > 1 else '; '.join(said))
        if found == 'closed' or state == 'closed':
            state, sources = 'closed', []
        elif found == 'sources':
            sources = allowed if sources is None else _intersect(sources, allowed)
            state = 'sources' if sources else 'closed'
    return {'state': state, 'sources': sources or [], 'by': ' | '.join(texts)}


def _is_loopback(address):
    try:
        return ipaddress.ip_address(address.replace('::ffff:', '')).is_loopback
    except ValueError:
        return False


def our_rules(firewall):
    """Our accept rules that name an instance (for rules left behind)."""
    if not firewall:
        return []
    return [dict(item, port=low) for chain in firewall['chains'] for item in chain['rules']
            if item['owner'] == 'ours' and item['action'] == 'accept' and item.get('instance')
            for low, high in item['ports'] or [] if low == high]


def rule(ports, source=None, action='accept', comment=None, text=None):
    """One plain rule; comment 'wso2ops-mi <instance> <name>' marks it ours."""
    words = (comment or '').split()
    ours = bool(words) and words[0] == OWNER
    return {'ports': ports, 'source': source, 'action': action, 'owner': 'ours' if ours else 'operator',
            'instance': words[1] if ours and len(words) == 3 else None,
            'name': words[2] if ours and len(words) == 3 else None, 'text': text or comment or action}


def no_firewall(reason):
    return {'backend': 'none', 'guarded': False, 'reason': reason, 'notes': [], 'chains': []}


# -- nftables: `nft -j list ruleset` ---------------------------------------------------------------
class _Skip(Exception):
    """The rule cannot match IPv4 TCP traffic from outside (IPv6, UDP, loopback, established)."""


class _Unknown(ValueError):
    """A match this reader does not evaluate (nft_json raises ValueError for values it does not read)."""


def _nft_match(fields, match):
    left, right, op = match.get('left', {}), match.get('right'), match.get('op', '==')
    payload, meta = left.get('payload', {}), left.get('meta', {})
    negated = op == '!='
    if meta.get('key') in ('iif', 'iifname') and right in ('lo', 1) and not negated:
        raise _Skip()
    if 'ct' in left and left['ct'].get('key') == 'state':
        states = right if isinstance(right, list) else [right]
        if 'new' not in states and not negated:
            raise _Skip()
        return
    if meta.get('key') in ('l4proto', 'nfproto') or payload.get('field') == 'protocol':
        wanted = right if isinstance(right, list) else [right]
        if not negated and not set(wanted) & set(['tcp', 6, 'ipv4', 'ip']):
            raise _Skip()
        return
    if payload.get('protocol') in ('udp', 'ip6', 'icmp', 'icmpv6', 'sctp'):
        raise _Skip()
    if negated or op not in ('==', 'in'):
        raise _Unknown(match)
    if payload == {'protocol': 'tcp', 'field': 'dport'}:
        fields['ports'] = nft_json.port_ranges(right)
    elif payload.get('protocol') == 'ip' and payload.get('field') == 'saddr':
        fields['source'] = nft_json.network(right)
    else:
        raise _Unknown(match)


def _nft_rule(item, chains, depth, notes):
    """Plain rules of one nft rule (a jump expands to the target chain's rules)."""
    fields = {'ports': None, 'source': None}
    for expr in item.get('expr', []):
        if 'match' in expr:
            _nft_match(fields, expr['match'])
        elif list(expr)[0] in ('counter', 'log', 'limit'):
            continue
        elif list(expr)[0] in ('accept', 'drop', 'reject'):
            action = 'accept' if 'accept' in expr else 'drop'
            return [rule(fields['ports'], fields['source'], action, item.get('comment'),
                         _nft_text(item, fields, action))]
        elif list(expr)[0] in ('jump', 'goto') and depth < _MAX_JUMPS:
            target = chains.get((item['family'], item['table'], expr[list(expr)[0]]['target']))
            if target is None:
                raise _Unknown(expr)
            if fields['ports'] is not None or fields['source'] is not None:
                raise _Unknown(expr)  # a conditional jump: its rules apply to part of the traffic only
            return _nft_rules(target['rules'], chains, depth + 1, notes)
        else:
            raise _Unknown(expr)
    return []  # no verdict: the packet goes on


def _nft_text(item, fields, action):
    parts = ['ip saddr %s' % fields['source']] if fields['source'] else []
    if fields['ports']:
        ports = ['%d' % low if low == high else '%d-%d' % (low, high) for low, high in fields['ports']]
        parts.append('tcp dport %s' % ','.join(ports))
    parts.append(action)
    if item.get('comment'):
        parts.append('comment "%s"' % item['comment'])
    return 'table %s %s: %s' % (item['family'], item['table'], ' '.join(parts))


def _nft_rules(items, chains, depth, notes):
    found = []
    for item in items:
        try:
            found.extend(_nft_rule(item, chains, depth, notes))
        except _Skip:
            continue
        except ValueError:
            notes.append('table %s %s chain %s: a rule (handle %s) is not evaluated'
                         % (item['family'], item['table'], item['chain'], item.get('handle')))
    return found


def from_nftables(text, reason=''):
    """The firewall of `nft -j list ruleset`: every base chain on the input hook of the ip and inet families."""
    chains, order = nft_json.load(text)
    notes, result = [], []
    base = [chains[key] for key in order if chains[key].get('hook') == 'input'
            and chains[key]['family'] in ('ip', 'inet')]
    for chain in sorted(base, key=lambda c: (c.get('prio', 0), c['family'], c['table'], c['name'])):
        result.append({'name': 'table %s %s chain %s' % (chain['family'], chain['table'], chain['name']),
                       'policy': 'any' if chain.get('policy', 'accept') == 'accept' else 'closed',
                       'rules': _nft_rules(chain['rules'], chains, 0, notes)})
    return {'backend': 'nftables', 'guarded': bool(result), 'reason': reason, 'notes': notes, 'chains': result}


# -- ufw: the firewall module's fw_ufw.read() ------------------------------------------------------
def _ufw_ports(dport):
    if dport == 'any':
        return None
    ports = []
    for part in dport.split(','):
        low, _sep, high = part.partition(':')
        ports.append((int(low), int(high or low)))
    return ports


def _ufw_source(src):
    return None if src in ('0.0.0.0/0', 'any') else str(ipaddress.ip_network(src, strict=False))


def from_ufw(current, reason=''):
    """The firewall of ufw's own rules (IPv4 file only) and its default incoming policy."""
    if not current.get('ufw') or not current.get('enabled'):
        return no_firewall(reason or 'ufw is not enabled')
    rules = []
    for item in current['rules']:
        if item.v6 or item.direction != 'in' or item.proto not in ('tcp', 'any') or item.sport != 'any':
            continue
        if item.dst not in ('0.0.0.0/0', 'any') or item.apps is not None:
            continue  # a rule for one destination address or an application profile: not evaluated
        action = 'accept' if item.action in ('allow', 'limit') else 'drop'
        text = 'ufw %s %s/%s from %s%s' % (item.action, item.dport, item.proto, item.src,
                                           " comment '%s'" % item.comment if item.comment else '')
        rules.append(rule(_ufw_ports(item.dport), _ufw_source(item.src), action, item.comment, text))
    policy = 'any' if current.get('default_input') == 'ACCEPT' else 'closed'
    return {'backend': 'ufw', 'guarded': policy == 'closed' or bool(rules), 'reason': reason, 'notes': [],
            'chains': [{'name': 'ufw', 'policy': policy, 'rules': rules}]}


# -- firewalld: zones as plain data ----------------------------------------------------------------
def from_firewalld(zones, service_ports, reason=''):
    """The firewall of firewalld's active zones.

    zones: [{'name', 'interfaces', 'sources', 'target', 'services', 'ports' [(port, proto)], 'rich_rules'
    [text]}] of the zones that take traffic (bound to an interface or a source, or the default zone);
    service_ports: {service: [(port, proto)]}. A zone bound to sources lets only those sources through.
    """
    rules, notes, policy = [], [], 'closed'
    for zone in zones:
        sources = [str(ipaddress.ip_network(s, strict=False)) for s in zone.get('sources') or []
                   if _ipv4_network(s)] or [None]
        if zone.get('target') == 'ACCEPT':
            rules.extend(rule(None, source, 'accept', text='zone %s: target ACCEPT' % zone['name'])
                         for source in sources)
            continue
        opened = [(name, service_ports.get(name, [])) for name in zone.get('services', [])]
        opened.append(('ports', zone.get('ports', [])))
        for name, ports in opened:
            tcp = [(int(port.split('-')[0]), int(port.split('-')[-1])) for port, proto in ports if proto == 'tcp']
            if tcp:
                comment = name if name.startswith(OWNER + '-') else None
                rules.extend(rule(tcp, source, 'accept', _service_tag(comment),
                                  'zone %s: %s %s' % (zone['name'], 'service' if name != 'ports' else '', name))
                             for source in sources)
        rules.extend(_rich_rules(zone, service_ports, notes))
    return {'backend': 'firewalld', 'guarded': True, 'reason': reason, 'notes': notes,
            'chains': [{'name': 'firewalld', 'policy': policy, 'rules': rules}]}


def _ipv4_network(source):
    try:
        return ipaddress.ip_network(source, strict=False).version == 4
    except ValueError:
        return False  # an ipset or MAC source


def _service_tag(name):
    """Our service wso2ops-mi-<instance>-<exposure> names an instance, not a listener."""
    return None if not name else '%s %s %s' % (OWNER, name[len(OWNER) + 1:].rsplit('-', 1)[0], 'service')


def _rich_rules(zone, service_ports, notes):
    found = []
    for text in zone.get('rich_rules', []):
        family = re.search(r'family="(\w+)"', text)
        source = re.search(r'source address="([^"]+)"', text)
        service = re.search(r'service name="([^"]+)"', text)
        port = re.search(r'port port="([\d-]+)" protocol="tcp"', text)
        verdict = re.search(r'\b(accept|drop|reject)\b', text)
        if (family and family.group(1) == 'ipv6') or not verdict or not (service or port) or ' not ' in text:
            if not (family and family.group(1) == 'ipv6'):
                notes.append('zone %s: rich rule not evaluated: %s' % (zone['name'], text))
            continue
        if service:
            ports = [(int(p.split('-')[0]), int(p.split('-')[-1]))
                     for p, proto in service_ports.get(service.group(1), []) if proto == 'tcp']
        else:
            ports = [(int(port.group(1).split('-')[0]), int(port.group(1).split('-')[-1]))]
        comment = service.group(1) if service and service.group(1).startswith(OWNER + '-') else None
        found.append(rule(ports, source.group(1) if source else None,
                          'accept' if verdict.group(1) == 'accept' else 'drop', _service_tag(comment),
                          'zone %s: %s' % (zone['name'], text)))
    return found
