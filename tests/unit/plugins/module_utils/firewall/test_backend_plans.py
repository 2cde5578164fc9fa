"""Reconciliation: each backend's plan from (desired rules, state read), table-driven, no firewall needed.

The states are plain data in the shape each backend's read() returns; the readers themselves are
tested on real tool output in test_fw_readers.py.
"""

import pytest

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall import firewalld as fw_firewalld
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall import nftables as fw_nftables
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall import ufw as fw_ufw
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall.rules import desired_rules, exposure_sources


def listeners(instance='mi', offset=10):
    return [{'instance': instance, 'name': 'http', 'port': 8280 + offset, 'exposure': 'public'},
            {'instance': instance, 'name': 'https', 'port': 8243 + offset, 'exposure': 'public'},
            {'instance': instance, 'name': 'management_http', 'port': 9191 + offset, 'exposure': 'monitoring'},
            {'instance': instance, 'name': 'management_https', 'port': 9154 + offset, 'exposure': 'management'}]


def desired(items=None, **sources):
    sources.setdefault('management', ['192.0.2.10', '2001:db8::10'])
    sources.setdefault('monitoring', ['10.0.0.0/8', 'fc00::/7'])
    return desired_rules(listeners() if items is None else items, exposure_sources(**sources))


TWO = listeners('a', 10) + listeners('b', 20)
ONE = listeners('a', 10)


# -- nftables -------------------------------------------------------------------------------------
def nft_state(want=None, **changes):
    """The state read on a host where `want` was applied (nothing when want is None)."""
    state = {'nft': True, 'table': None, 'file': None, 'unit_file': None, 'unit': {}, 'systemd': True,
             'other_input_chains': []}
    if want is not None:
        table = fw_nftables.desired_table(want)
        state.update(table=table, file=fw_nftables.render_file(table), unit_file=fw_nftables.UNIT_TEXT,
                     unit={'UnitFileState': 'enabled', 'ActiveState': 'active'})
    state.update(changes)
    return state


@pytest.mark.parametrize('state, verbs', [
    (nft_state(), ['write', 'write', 'systemctl', 'systemctl', 'start']),
    (nft_state(desired()), []),
    (nft_state(desired(), table=None), ['load']),
    (nft_state(desired(listeners(offset=3))), ['write', 'load']),
    (nft_state(desired(), unit={'UnitFileState': 'disabled', 'ActiveState': 'active'}), ['systemctl']),
    (nft_state(desired(), unit={'UnitFileState': 'enabled', 'ActiveState': 'inactive'}), ['start']),
    (nft_state(desired(), unit_file='[Unit]\n'), ['write', 'systemctl']),
    (nft_state(systemd=False), ['write', 'load']),
    (nft_state(desired(), file='# edited by hand\n'), ['write', 'load']),
], ids=['fresh host', 'converged', 'table flushed by someone', 'ports changed', 'unit disabled', 'unit stopped',
        'unit file edited', 'no systemd', 'file edited'])
def test_nftables_plan(state, verbs):
    assert [action.verb for action in fw_nftables.plan(desired(), state).actions] == verbs


def test_nftables_port_change_replaces_exactly_the_rules_of_the_old_ports():
    plan = fw_nftables.plan(desired(), nft_state(desired(listeners(offset=3))))
    assert all(any(str(port) in line for port in (8283, 8246, 9194, 9157)) for line in plan.removed)
    assert all(any(str(port) in line for port in (8290, 8253, 9201, 9164)) for line in plan.added)
    assert len(plan.added) == len(plan.removed) == 7  # http, https, 2 monitoring, 2 management sources, the drop


def test_nftables_instance_removed_loses_exactly_its_rules():
    plan = fw_nftables.plan(desired(ONE), nft_state(desired(TWO)))
    assert plan.added == ['tcp dport { 9164, 9201 } counter drop comment "wso2ops-mi restricted ports, other sources"']
    assert [line for line in plan.removed if 'wso2ops-mi b ' not in line] == [
        'tcp dport { 9164, 9174, 9201, 9211 } counter drop comment "wso2ops-mi restricted ports, other sources"']
    assert len(plan.removed) == 7


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
    (desired(), ufw_state(), 6, 0),
    (desired(), ufw_state(desired(), extra=[OPERATOR_SSH]), 0, 0),
    (desired(), ufw_state(desired(listeners(offset=3))), 6, 6),
    (desired(ONE), ufw_state(desired(TWO)), 0, 6),
    (desired(), ufw_state(desired(), ipv6=False), 0, 0),
    (desired(), ufw_state(ipv6=False), 4, 0),
], ids=['fresh', 'converged, operator rule kept', 'ports changed', 'instance b removed', 'converged, IPv6 off in ufw',
        'fresh, IPv6 off in ufw'])
def test_ufw_plan(want, state, adds, deletes):
    plan = fw_ufw.plan(want, state)
    assert [a.verb for a in plan.actions].count('add') == adds
    assert [a.verb for a in plan.actions].count('delete') == deletes
    assert not any('operator' in a.text for a in plan.actions)


def test_ufw_instance_removed_deletes_exactly_its_rules():
    plan = fw_ufw.plan(desired(ONE), ufw_state(desired(TWO)))
    assert plan.actions and all(a.verb == 'delete' and 'wso2ops-mi b ' in a.text for a in plan.actions)
    assert all('wso2ops-mi b ' in line for line in plan.removed) and not plan.added


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
def fwd_state(want=None, zone='public', **changes):
    """firewalld's state after `want` was applied in zone (nothing when want is None)."""
    objects = fw_firewalld.desired_objects(want) if want else {'services': {}, 'zone_services': [], 'rich_rules': []}
    layer = {'services': list(objects['zone_services']), 'rich_rules': list(objects['rich_rules'])}
    state = {'zone': zone, 'target': 'default', 'zone_active': True,
             'zones': {zone: {'permanent': dict(layer), 'runtime': dict(layer), 'target': 'default'}},
             'services': dict(objects['services']),
             'runtime_services': dict((name, d['ports']) for name, d in objects['services'].items())}
    state.update(changes)
    return state


def verbs(plan):
    return [(a.verb, a.args[1] if a.verb.startswith(('add_', 'remove_')) else None) for a in plan.actions]


def test_firewalld_fresh_host_defines_services_adds_them_permanently_and_reloads_once():
    plan = fw_firewalld.plan(desired(), fwd_state())
    assert [v for v, _layer in verbs(plan)].count('service_add') == 3
    assert all(layer in (None, 'permanent') for _verb, layer in verbs(plan))
    assert plan.actions[-1].verb == 'reload' and plan.problems == []


def test_firewalld_converged_host_has_nothing_to_do():
    plan = fw_firewalld.plan(desired(), fwd_state(desired()))
    assert plan.actions == [] and plan.added == [] and plan.removed == [] and plan.guarded


def test_firewalld_source_change_needs_no_reload_and_changes_both_layers():
    plan = fw_firewalld.plan(desired(management=['192.0.2.11']), fwd_state(desired()))
    assert ('reload', None) not in verbs(plan)
    assert sorted(set(verbs(plan))) == [('add_rich_rule', 'permanent'), ('add_rich_rule', 'runtime'),
                                        ('remove_rich_rule', 'permanent'), ('remove_rich_rule', 'runtime')]


def test_firewalld_port_change_updates_definitions_and_reloads():
    plan = fw_firewalld.plan(desired(listeners(offset=3)), fwd_state(desired()))
    assert [v for v, _layer in verbs(plan)] == ['service_update'] * 3 + ['reload']


def test_firewalld_refuses_a_reload_that_would_drop_runtime_only_changes():
    plan = fw_firewalld.plan(desired(listeners(offset=3)), fwd_state(desired(), runtime_only=['zone public: ports']))
    assert plan.problems and 'zone public: ports' in plan.problems[0] and 'Nothing was changed' in plan.problems[0]


def test_firewalld_runtime_only_changes_do_not_matter_without_a_reload():
    plan = fw_firewalld.plan(desired(management=[]), fwd_state(desired(), runtime_only=['zone public: ports']))
    assert plan.problems == [] and plan.actions


def test_firewalld_instance_removed_loses_exactly_its_objects_without_reload():
    plan = fw_firewalld.plan(desired(ONE), fwd_state(desired(TWO)))
    assert plan.actions and all('wso2ops-mi-b-' in a.text for a in plan.actions)
    assert ('reload', None) not in verbs(plan)
    assert [v for v, _layer in verbs(plan)].count('service_remove') == 3
    assert all('wso2ops-mi-b-' in line for line in plan.removed) and plan.added == []


def test_firewalld_zone_change_moves_our_objects_and_leaves_the_old_zone_otherwise_alone():
    state = fwd_state(desired(), zone='public')
    state['zones']['internal'] = fwd_state()['zones']['public']
    state['zone'] = 'internal'
    plan = fw_firewalld.plan(desired(), state)
    removed = [a for a in plan.actions if a.verb.startswith('remove_')]
    added = [a for a in plan.actions if a.verb.startswith('add_')]
    assert removed and all(a.args[0] == 'public' for a in removed)
    assert added and all(a.args[0] == 'internal' for a in added)


def test_firewalld_runtime_definition_that_differs_forces_a_reload():
    state = fwd_state(desired())
    state['runtime_services']['wso2ops-mi-mi-public'] = [('8000', 'tcp')]
    assert [a.verb for a in fw_firewalld.plan(desired(), state).actions] == ['reload']


def test_firewalld_objects_only_in_one_layer_are_completed():
    state = fwd_state(desired())
    state['zones']['public']['runtime'] = {'services': [], 'rich_rules': []}
    plan = fw_firewalld.plan(desired(), state)
    assert set(layer for _verb, layer in verbs(plan)) == set(['runtime'])
    assert any(line.endswith('(permanent only)') for line in plan.before)


def test_firewalld_zone_with_target_accept_does_not_guard():
    plan = fw_firewalld.plan(desired(), fwd_state(desired(), target='ACCEPT'))
    assert plan.guarded is False and any('target ACCEPT' in w for w in plan.warnings)


def test_firewalld_open_to_any_uses_the_zone_restricted_uses_rich_rules():
    objects = fw_firewalld.desired_objects(desired())
    assert objects['zone_services'] == ['wso2ops-mi-mi-public']
    assert objects['services']['wso2ops-mi-mi-management']['ports'] == [('9164', 'tcp')]
    assert 'rule family="ipv6" source address="2001:db8::10/128" service name="wso2ops-mi-mi-management" accept' \
        in objects['rich_rules']


# -- keep (remove_stale false): make before break -------------------------------------------------
OLD_PORTS = (8283, 8246, 9194, 9157)   # offset 3
NEW_PORTS = (8290, 8253, 9201, 9164)   # offset 10


def test_nftables_keep_opens_the_new_ports_and_keeps_the_old_ones_restricted_as_before():
    state = nft_state(desired(listeners(offset=3)))
    plan = fw_nftables.plan(desired(), state, keep=True)
    rules = plan.after
    # Only the drop line of before goes (it is replaced by one that names the old and the new ports).
    assert plan.removed == ['tcp dport { 9157, 9194 } counter drop comment "wso2ops-mi restricted ports, other sources"']
    for port in OLD_PORTS + NEW_PORTS:
        assert any('dport %d accept' % port in line for line in rules), port
    # Both management ports and both monitoring ports stay closed to every other source, and the drop comes last.
    assert rules[-1] == ('tcp dport { 9157, 9164, 9194, 9201 } counter drop comment '
                         '"wso2ops-mi restricted ports, other sources"')
    assert [a.verb for a in plan.actions] == ['write', 'load']


def test_nftables_keep_on_a_converged_table_changes_nothing_and_a_later_full_run_closes_the_old_ports():
    assert fw_nftables.plan(desired(), nft_state(desired()), keep=True).actions == []
    both = fw_nftables.plan(desired(), nft_state(desired(listeners(offset=3))), keep=True).after
    table = {'input': {'hook': fw_nftables.HOOK, 'rules': both}}
    closing = fw_nftables.plan(desired(), nft_state(desired(), table=table, file=fw_nftables.render_file(table)))
    assert closing.after == fw_nftables.desired_table(desired())['input']['rules']
    assert all(any(str(port) in line for port in OLD_PORTS) for line in closing.removed if 'drop' not in line)


def test_ufw_keep_adds_the_new_rules_and_deletes_none():
    plan = fw_ufw.plan(desired(), ufw_state(desired(listeners(offset=3))), keep=True)
    assert [a.verb for a in plan.actions] == ['add'] * 6
    assert plan.removed == [] and len(plan.after) == 12


def test_firewalld_keep_widens_the_definitions_and_removes_nothing():
    plan = fw_firewalld.plan(desired(), fwd_state(desired(listeners(offset=3))), keep=True)
    assert [v for v, _layer in verbs(plan)] == ['service_update'] * 3 + ['reload']
    public = next(a.args[1] for a in plan.actions if a.args and a.args[0] == 'wso2ops-mi-mi-public')
    assert public['ports'] == [('8246', 'tcp'), ('8253', 'tcp'), ('8283', 'tcp'), ('8290', 'tcp')]
    assert fw_firewalld.plan(desired(ONE), fwd_state(desired(TWO)), keep=True).actions == []
