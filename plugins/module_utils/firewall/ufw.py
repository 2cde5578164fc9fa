# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ufw backend: allow rules that carry our comment ``wso2ops-mi <instance> <name>``.

read: ufw's own rule files (``/etc/ufw/user.rules`` and ``user6.rules``; each rule is a
``### tuple ###`` line with its comment hex-encoded), ``/etc/ufw/ufw.conf`` and ``/etc/default/ufw``.
plan: our rules that are not wanted are deleted, wanted ones added. apply: ``ufw delete allow ...`` and
``ufw allow ... comment ...``. Never ``ufw enable``, ``reset`` or ``default``.
"""

import binascii
import ipaddress
import re
from collections import namedtuple

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.util import unique
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall.rules import (
    OWNER,
    Action,
    Plan,
    family,
    host_address,
    owner_tag,
)

RULES_FILES = ('/etc/ufw/user.rules', '/etc/ufw/user6.rules')
CONF = '/etc/ufw/ufw.conf'
DEFAULTS = '/etc/default/ufw'
ANY = ('0.0.0.0/0', '::/0')

# One `### tuple ###` line: action proto dport dst sport src [dapp sapp] direction[_iface] [comment=<hex>]
Tuple = namedtuple('Tuple', 'action proto dport dst sport src apps direction comment v6')
# What we compare: port, source (None = any) and comment.
Key = namedtuple('Key', 'port source comment')


def parse_settings(text):
    """KEY=value lines of a shell-style config file (ufw.conf, /etc/default/ufw)."""
    settings = {}
    for line in (text or '').splitlines():
        match = re.match(r'^\s*([A-Z_0-9]+)\s*=\s*"?([^"#]*?)"?\s*(?:#.*)?$', line)
        if match:
            settings[match.group(1)] = match.group(2)
    return settings


def parse_rules(text, v6=False):
    """The tuples of one ufw rules file, as ufw itself reads them (see ufw's backend _read_rules)."""
    found = []
    for line in (text or '').splitlines():
        if not line.startswith('### tuple ###'):
            continue
        body, comment = line[len('### tuple ###'):], ''
        if ' comment=' in body:
            body, comment = body.split(' comment=', 1)
            comment = _unhex(comment.strip())
        fields = body.split()
        if len(fields) not in (7, 9):
            continue  # ufw skips these too ("malformed tuple")
        apps = tuple(fields[6:8]) if len(fields) == 9 else None
        found.append(Tuple(fields[0], fields[1], fields[2], fields[3], fields[4], fields[5], apps, fields[-1],
                           comment, v6))
    return found


def _unhex(text):
    try:
        return binascii.unhexlify(text).decode('utf-8', 'replace')
    except (binascii.Error, ValueError):
        return text  # not ufw's encoding: kept as written, so it is never taken for ours


def is_ours(rule):
    return rule.comment.startswith(OWNER + ' ')


def _simple_allow(rule):
    """The shape of the rules we write: allow tcp to one port from a source, any destination, inbound."""
    return (rule.action == 'allow' and rule.proto == 'tcp' and rule.dport.isdigit() and rule.dst in ANY
            and rule.sport == 'any' and rule.apps is None and rule.direction == 'in')


def key_of(rule):
    """Key for a simple allow rule (source None when it is any address), else None."""
    if not _simple_allow(rule):
        return None
    try:
        source = None if rule.src in ANY else str(ipaddress.ip_network(rule.src, strict=False))
    except ValueError:
        return None
    return Key(int(rule.dport), source, rule.comment)


def rule_text(key):
    """A rule as `ufw show added` prints it."""
    if key.source is None:
        return "ufw allow %d/tcp comment '%s'" % (key.port, key.comment)
    return "ufw allow from %s to any port %d proto tcp comment '%s'" % (
        host_address(key.source), key.port, key.comment)


def delete_argv(rule):
    """`ufw delete` for one of our rules, whatever its shape (ufw matches rules without the comment)."""
    action = rule.action.replace('_', ' ').split()
    argv = ['ufw', 'delete'] + action
    if '_' in rule.direction:
        argv += [rule.direction.split('_')[0], 'on', rule.direction.split('_', 1)[1]]
    argv += ['from', 'any' if rule.src in ANY else rule.src]
    if rule.sport != 'any':
        argv += ['port', rule.sport]
    argv += ['to', 'any' if rule.dst in ANY else rule.dst]
    if rule.dport != 'any':
        argv += ['port', rule.dport]
    if rule.proto != 'any':
        argv += ['proto', rule.proto]
    return argv


def add_argv(key):
    """`ufw allow` for one wanted rule, with our comment."""
    return ['ufw', 'allow', 'from', 'any' if key.source is None else key.source, 'to', 'any',
            'port', str(key.port), 'proto', 'tcp', 'comment', key.comment]


# -- read / plan / apply --------------------------------------------------------------------------
def read(host):
    if not host.which('ufw'):
        return {'ufw': False}
    conf = parse_settings(host.read(CONF))
    defaults = parse_settings(host.read(DEFAULTS))
    ipv6 = defaults.get('IPV6', 'yes').lower() == 'yes'
    rules = parse_rules(host.read(RULES_FILES[0]))
    if ipv6:  # ufw reads user6.rules only with IPV6=yes
        rules += parse_rules(host.read(RULES_FILES[1]), v6=True)
    return {'ufw': True, 'enabled': conf.get('ENABLED', 'no').lower() == 'yes', 'ipv6': ipv6,
            'default_input': defaults.get('DEFAULT_INPUT_POLICY', 'DROP').upper(), 'rules': rules}


def wanted_keys(desired, ipv6):
    """(keys to have, warnings): one key per rule; IPv6 sources only when ufw handles IPv6."""
    keys, warnings = [], []
    for rule in desired.rules:
        key = Key(rule.port, rule.source, owner_tag(rule.instance, rule.name))
        if family(rule.source) == 'ipv6' and not ipv6:
            warnings.append('ufw has IPV6=no in %s: no rule for %s (%s)' % (DEFAULTS, rule.source, key.comment))
        else:
            keys.append(key)
    return keys, warnings


def present_keys(ours, ipv6):
    """Keys of our rules that ufw holds completely (an 'any' rule needs its IPv6 twin when IPV6=yes)."""
    families = {}
    for rule in ours:
        key = key_of(rule)
        if key:
            families.setdefault(key, set()).add(rule.v6)
    return set(key for key, seen in families.items()
               if key.source is not None or seen == (set([False, True]) if ipv6 else set([False])))


def plan(desired, current, keep=False):
    """keep: delete none of our rules (remove_stale false); they stay in the rules after."""
    if not current.get('ufw'):
        return Plan([], [], [], ['ufw is not installed; install it or choose another backend'], guarded=False)
    wanted, warnings = wanted_keys(desired, current['ipv6'])
    ours = [rule for rule in current['rules'] if is_ours(rule)]
    theirs = set((k.port, k.source) for k in map(key_of, current['rules']) if k and not k.comment.startswith(OWNER + ' '))
    present = present_keys(ours, current['ipv6'])
    actions, deletes, after = [], [], []
    for rule in ours:
        argv = delete_argv(rule)
        if keep and key_of(rule) not in wanted:
            after.append(_text(rule))
        elif key_of(rule) not in wanted and argv not in deletes:
            deletes.append(argv)
            actions.append(Action('delete', (argv,), 'ufw delete: %s' % _text(rule)))
    for key in wanted:
        if key not in present and (key.port, key.source) in theirs:
            # ufw would put our comment on the operator's identical rule, and a later delete would remove it.
            warnings.append('a ufw rule of the operator already allows port %d from %s; it is left as it is, and '
                            'the module adds no rule of its own for %s'
                            % (key.port, key.source or 'any address', key.comment))
            continue
        after.append(rule_text(key))
        if key not in present:
            actions.append(Action('add', (add_argv(key),), rule_text(key)))
    warnings.extend(_guard_warnings(current))
    before = unique(_text(rule) for rule in ours)
    return Plan(actions, before, unique(after), [], warnings,
                current['enabled'] and current['default_input'] in ('DROP', 'REJECT'))


def _text(rule):
    """One of our rules as `ufw show added` prints it; a hand-edited shape as its delete arguments."""
    key = key_of(rule)
    if key:
        return rule_text(key)
    return 'ufw %s comment \'%s\'' % (' '.join(delete_argv(rule)[2:]), rule.comment)


def _guard_warnings(current):
    if not current['enabled']:
        return ['ufw is not active (ENABLED=no in %s): the rules are written but nothing is filtered, so the MI '
                'ports, the Management API included, are open to every address; the module never enables ufw'
                % CONF]
    if current['default_input'] not in ('DROP', 'REJECT'):
        return ["ufw's default incoming policy is %s: the ports the rules restrict (the Management API) are open "
                "to every address; the module never changes default policies" % current['default_input'].lower()]
    return []


def apply(host, actions):
    for action in actions:
        host.run(action.args[0])
        host.done.append(action.text)
