"""Reconciliation: each backend's plan from (desired rules, state read), table-driven, no firewall needed.

The states are plain data in the shape each backend's read() returns, never made by the code under test: the
nftables table is what the real nft printed (tests/fixtures/firewall, read by test_backend_readers.py), the ufw and
firewalld objects are written out by hand. Converging, moving ports, removing an instance and keeping old rules
against real kernel rulesets (nftables, ufw, firewalld): tests/functional/test_firewall_namespaces.py.
"""

import pytest

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall import firewalld as fw_firewalld
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall import nftables as fw_nftables
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall import ufw as fw_ufw
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall.rules import PRIVATE_SOURCES, desired_rules, exposure_sources
from helpers.runner import FIXTURES


def listeners(instance='mi', offset=10):
    return [{'instance': instance, 'name': 'http', 'port': 8280 + offset, 'exposure': 'public'},
            {'instance': instance, 'name': 'https', 'port': 8243 + offset, 'exposure': 'public'},
            {'instance': instance, 'name': 'management_http', 'port': 9191 + offset, 'exposure': 'monitoring'},
            {'instance': instance, 'name': 'management_https', 'port': 9154 + offset, 'exposure': 'management'}]


def desired(items=None, **sources):
    sources.setdefault('management', ['192.0.2.10', '2001:db8::10'])
    sources.setdefault('monitoring', ['10.0.0.0/8', 'fc00::/7'])
    return desired_rules(listeners() if items is None else items, exposure_sources(**sources))


ONE = listeners('a', 10)


# -- nftables -------------------------------------------------------------------------------------
# What the fixtures of tests/fixtures/firewall were made from: the table as the real nft loaded and printed it.
CAPTURED = desired(management=['10.89.150.11', 'fd42:150::11', '192.0.2.0/24'], monitoring=PRIVATE_SOURCES)


def nft_state(applied=False, **changes):
    """The state read on a host where CAPTURED was applied (nothing when not applied)."""
    state = {'nft': True, 'table': None, 'file': None, 'unit_file': None, 'unit': {}, 'systemd': True,
             'other_input_chains': []}
    if applied:
        state.update(table=fw_nftables.parse_table((FIXTURES / 'firewall' / 'nft_table_ours.json').read_text()),
                     file=(FIXTURES / 'firewall' / 'nft_file_rendered.nft').read_text(), unit_file=fw_nftables.UNIT_TEXT,
                     unit={'UnitFileState': 'enabled', 'ActiveState': 'active'})
    state.update(changes)
    return state


@pytest.mark.parametrize('state, verbs', [
    (nft_state(), ['write', 'write', 'systemctl', 'systemctl', 'start']),
    (nft_state(True), []),
    (nft_state(True, table=None), ['load']),
    (nft_state(True, unit={'UnitFileState': 'disabled', 'ActiveState': 'active'}), ['systemctl']),
    (nft_state(True, unit={'UnitFileState': 'enabled', 'ActiveState': 'inactive'}), ['start']),
    (nft_state(True, unit_file='[Unit]\n'), ['write', 'systemctl']),
    (nft_state(systemd=False), ['write', 'load']),
    (nft_state(True, file='# edited by hand\n'), ['write', 'load']),
], ids=['fresh host', 'converged', 'table flushed by someone', 'unit disabled', 'unit stopped', 'unit file edited',
        'no systemd', 'file edited'])
def test_nftables_plan(state, verbs):
    assert [action.verb for action in fw_nftables.plan(CAPTURED, state).actions] == verbs


def test_nftables_restricts_with_a_drop_after_the_accepts_and_accepts_loopback_first():
    rules = fw_nftables.desired_table(desired())['input']['rules']
    assert rules[0] == 'iif "lo" accept comment "wso2ops-mi loopback"'
    assert rules[-1] == 'tcp dport { 9164, 9201 } counter drop comment "wso2ops-mi restricted ports, other sources"'
    assert 'ip6 saddr 2001:db8::10/128 tcp dport 9164 accept comment "wso2ops-mi mi management_https"' in rules


def test_nftables_without_restricted_ports_has_no_drop():
    rules = fw_nftables.desired_table(desired(listeners()[:2]))['input']['rules']
    assert not any('drop' in rule for rule in rules)


def test_nftables_missing_is_a_problem():
    plan = fw_nftables.plan(desired(), {'nft': False})
    assert plan.problems and 'nft is not installed' in plan.problems[0] and not plan.actions


# -- ufw ------------------------------------------------------------------------------------------
def ufw_tuples(want, ipv6=True):
    """The tuples ufw writes for the wanted rules (an 'any' rule in both files)."""
    tuples = []
    for rule in want.rules:
        comment = 'wso2ops-mi %s %s' % (rule.instance, rule.name)
        if ':' in (rule.source or '') and not ipv6:
            continue  # ufw reads user6.rules only with IPV6=yes
        for v6 in ([False, True] if rule.source is None and ipv6 else [':' in (rule.source or '')]):
            source = rule.source or ('::/0' if v6 else '0.0.0.0/0')
            tuples.append(fw_ufw.Tuple('allow', 'tcp', str(rule.port), '::/0' if v6 else '0.0.0.0/0', 'any',
                                       source.replace('/32', '').replace('/128', ''), None, 'in', comment, v6))
    return tuples


def ufw_state(want=None, extra=(), ipv6=True, **changes):
    state = {'ufw': True, 'enabled': True, 'ipv6': ipv6, 'default_input': 'DROP',
             'rules': (ufw_tuples(want, ipv6) if want else []) + list(extra)}
    state.update(changes)
    return state


OPERATOR_SSH = fw_ufw.Tuple('allow', 'tcp', '22', '0.0.0.0/0', 'any', '0.0.0.0/0', None, 'in', 'operator ssh', False)


# desired(): http and https from any, monitoring from 2 networks, management from 2 hosts: 6 ufw rules.
@pytest.mark.parametrize('want, state, adds, deletes', [
    (desired(), ufw_state(extra=[OPERATOR_SSH]), 6, 0),
    (desired(), ufw_state(desired(), ipv6=False), 0, 0),
    (desired(), ufw_state(ipv6=False), 4, 0),
], ids=['fresh, operator rule kept', 'converged, IPv6 off in ufw', 'fresh, IPv6 off in ufw'])
def test_ufw_plan(want, state, adds, deletes):
    plan = fw_ufw.plan(want, state)
    assert [a.verb for a in plan.actions].count('add') == adds
    assert [a.verb for a in plan.actions].count('delete') == deletes
    assert not any('operator' in a.text for a in plan.actions)


def test_ufw_any_rule_deleted_once_for_both_families():
    plan = fw_ufw.plan(desired([]), ufw_state(desired(listeners()[:1])))
    assert [a.args[0] for a in plan.actions] == [['ufw', 'delete', 'allow', 'from', 'any', 'to', 'any', 'port', '8290',
                                                  'proto', 'tcp']]


def test_ufw_any_rule_missing_its_ipv6_twin_is_added_again():
    state = ufw_state(desired(listeners()[:1]))
    state['rules'] = [rule for rule in state['rules'] if not rule.v6]
    assert [a.verb for a in fw_ufw.plan(desired(listeners()[:1]), state).actions] == ['add']


def test_ufw_ipv6_sources_are_left_out_with_a_warning_when_ufw_has_ipv6_off():
    plan = fw_ufw.plan(desired(), ufw_state(ipv6=False))
    assert not any(':' in a.text.split('comment')[0] for a in plan.actions)
    assert any('IPV6=no' in w and '2001:db8::10/128' in w for w in plan.warnings)


@pytest.mark.parametrize('changes, warning', [
    ({'enabled': False}, 'ufw is not active'),
    ({'default_input': 'ACCEPT'}, "default incoming policy is accept"),
])
def test_ufw_that_does_not_guard_says_so(changes, warning):
    plan = fw_ufw.plan(desired(), ufw_state(desired(), **changes))
    assert plan.guarded is False and any(warning in w for w in plan.warnings) and not plan.actions


def test_ufw_never_takes_over_an_identical_operator_rule():
    operator = fw_ufw.Tuple('allow', 'tcp', '8290', '0.0.0.0/0', 'any', '0.0.0.0/0', None, 'in', '', False)
    plan = fw_ufw.plan(desired(listeners()[:1]), ufw_state(extra=[operator]))
    assert plan.actions == [] and any('operator already allows port 8290' in w for w in plan.warnings)


def test_ufw_deletes_our_rule_in_a_shape_it_never_writes():
    edited = fw_ufw.Tuple('allow_log', 'udp', '9999', '0.0.0.0/0', 'any', '203.0.113.7', None, 'in_eth0',
                          'wso2ops-mi mi edited', False)
    plan = fw_ufw.plan(desired([]), ufw_state(extra=[edited]))
    assert plan.actions[0].args[0] == ['ufw', 'delete', 'allow', 'log', 'in', 'on', 'eth0', 'from', '203.0.113.7',
                                       'to', 'any', 'port', '9999', 'proto', 'udp']


# -- firewalld ------------------------------------------------------------------------------------
def fwd_objects(instance='mi', offset=10):
    """(service definitions, zone services, rich rules) firewalld holds after a run for listeners(instance, offset)
    with desired()'s sources, written out by hand."""
    http, https, monitoring, management = 8280 + offset, 8243 + offset, 9191 + offset, 9154 + offset
    prefix = 'wso2ops-mi-%s-' % instance

    def service(exposure, listed, *ports):
        return {'short': prefix + exposure, 'ports': sorted((str(port), 'tcp') for port in ports),
                'description': 'WSO2 Micro Integrator instance %s, %s ports: %s (wso2ops.micro_integrator.firewall)'
                               % (instance, exposure, listed)}
    services = {prefix + 'public': service('public', 'http %d, https %d' % (http, https), http, https),
                prefix + 'monitoring': service('monitoring', 'management_http %d' % monitoring, monitoring),
                prefix + 'management': service('management', 'management_https %d' % management, management)}
    rich_rules = ['rule family="ipv4" source address="10.0.0.0/8" service name="%smonitoring" accept' % prefix,
                  'rule family="ipv6" source address="fc00::/7" service name="%smonitoring" accept' % prefix,
                  'rule family="ipv4" source address="192.0.2.10/32" service name="%smanagement" accept' % prefix,
                  'rule family="ipv6" source address="2001:db8::10/128" service name="%smanagement" accept' % prefix]
    return services, [prefix + 'public'], rich_rules


def fwd_state(applied=(), zone='public', **changes):
    """firewalld's state after the runs for applied, [(instance, offset)], in zone (nothing when empty)."""
    services, zone_services, rich_rules = {}, [], []
    for instance, offset in applied:
        more_services, more_zone_services, more_rich_rules = fwd_objects(instance, offset)
        services.update(more_services)
        zone_services += more_zone_services
        rich_rules += more_rich_rules
    layer = {'services': zone_services, 'rich_rules': rich_rules}
    state = {'zone': zone, 'target': 'default', 'zone_active': True,
             'zones': {zone: {'permanent': dict(layer), 'runtime': dict(layer), 'target': 'default'}},
             'services': services, 'runtime_services': dict((name, d['ports']) for name, d in services.items())}
    state.update(changes)
    return state


MI = [('mi', 10)]


def verbs(plan):
    return [(a.verb, a.args[1] if a.verb.startswith(('add_', 'remove_')) else None) for a in plan.actions]


def test_firewalld_fresh_host_defines_services_adds_them_permanently_and_reloads_once():
    plan = fw_firewalld.plan(desired(), fwd_state())
    assert [v for v, _layer in verbs(plan)].count('service_add') == 3
    assert all(layer in (None, 'permanent') for _verb, layer in verbs(plan))
    assert plan.actions[-1].verb == 'reload' and plan.problems == []


def test_firewalld_converged_host_has_nothing_to_do():
    plan = fw_firewalld.plan(desired(), fwd_state(MI))
    assert plan.actions == [] and plan.added == [] and plan.removed == [] and plan.guarded


def test_firewalld_source_change_needs_no_reload_and_changes_both_layers():
    plan = fw_firewalld.plan(desired(management=['192.0.2.11']), fwd_state(MI))
    assert ('reload', None) not in verbs(plan)
    assert sorted(set(verbs(plan))) == [('add_rich_rule', 'permanent'), ('add_rich_rule', 'runtime'),
                                        ('remove_rich_rule', 'permanent'), ('remove_rich_rule', 'runtime')]


def test_firewalld_port_change_updates_definitions_and_reloads():
    plan = fw_firewalld.plan(desired(listeners(offset=3)), fwd_state(MI))
    assert [v for v, _layer in verbs(plan)] == ['service_update'] * 3 + ['reload']


def test_firewalld_refuses_a_reload_that_would_drop_runtime_only_changes():
    plan = fw_firewalld.plan(desired(listeners(offset=3)), fwd_state(MI, runtime_only=['zone public: ports']))
    assert plan.problems and 'zone public: ports' in plan.problems[0] and 'Nothing was changed' in plan.problems[0]


def test_firewalld_runtime_only_changes_do_not_matter_without_a_reload():
    plan = fw_firewalld.plan(desired(management=[]), fwd_state(MI, runtime_only=['zone public: ports']))
    assert plan.problems == [] and plan.actions


def test_firewalld_instance_removed_loses_exactly_its_objects_without_reload():
    plan = fw_firewalld.plan(desired(ONE), fwd_state([('a', 10), ('b', 20)]))
    assert plan.actions and all('wso2ops-mi-b-' in a.text for a in plan.actions)
    assert ('reload', None) not in verbs(plan)
    assert [v for v, _layer in verbs(plan)].count('service_remove') == 3
    assert all('wso2ops-mi-b-' in line for line in plan.removed) and plan.added == []


def test_firewalld_zone_change_moves_our_objects_and_leaves_the_old_zone_otherwise_alone():
    state = fwd_state(MI, zone='public')
    state['zones']['internal'] = fwd_state()['zones']['public']
    state['zone'] = 'internal'
    plan = fw_firewalld.plan(desired(), state)
    removed = [a for a in plan.actions if a.verb.startswith('remove_')]
    added = [a for a in plan.actions if a.verb.startswith('add_')]
    assert removed and all(a.args[0] == 'public' for a in removed)
    assert added and all(a.args[0] == 'internal' for a in added)


def test_firewalld_runtime_definition_that_differs_forces_a_reload():
    state = fwd_state(MI)
    state['runtime_services']['wso2ops-mi-mi-public'] = [('8000', 'tcp')]
    assert [a.verb for a in fw_firewalld.plan(desired(), state).actions] == ['reload']


def test_firewalld_objects_only_in_one_layer_are_completed():
    state = fwd_state(MI)
    state['zones']['public']['runtime'] = {'services': [], 'rich_rules': []}
    plan = fw_firewalld.plan(desired(), state)
    assert set(layer for _verb, layer in verbs(plan)) == set(['runtime'])
    assert any(line.endswith('(permanent only)') for line in plan.before)


def test_firewalld_zone_with_target_accept_does_not_guard():
    plan = fw_firewalld.plan(desired(), fwd_state(MI, target='ACCEPT'))
    assert plan.guarded is False and any('target ACCEPT' in w for w in plan.warnings)


def test_firewalld_open_to_any_uses_the_zone_restricted_uses_rich_rules():
    objects = fw_firewalld.desired_objects(desired())
    assert objects['zone_services'] == ['wso2ops-mi-mi-public']
    assert objects['services']['wso2ops-mi-mi-management']['ports'] == [('9164', 'tcp')]
    assert 'rule family="ipv6" source address="2001:db8::10/128" service name="wso2ops-mi-mi-management" accept' \
        in objects['rich_rules']


# -- keep (remove_stale false): make before break -------------------------------------------------
def test_firewalld_keep_widens_the_definitions_and_removes_nothing():
    plan = fw_firewalld.plan(desired(), fwd_state([('mi', 3)]), keep=True)
    assert [v for v, _layer in verbs(plan)] == ['service_update'] * 3 + ['reload']
    public = next(a.args[1] for a in plan.actions if a.args and a.args[0] == 'wso2ops-mi-mi-public')
    assert public['ports'] == [('8246', 'tcp'), ('8253', 'tcp'), ('8283', 'tcp'), ('8290', 'tcp')]
    assert fw_firewalld.plan(desired(ONE), fwd_state([('a', 10), ('b', 20)]), keep=True).actions == []
