"""The firewall readers on real outputs of the real tools.

Fixtures in tests/fixtures/firewall/ were captured by capture.py there, in a container of the
molecule test-host image (Debian 12: nftables 1.0.6, ufw 0.36.2, firewalld 1.3.3; VERSIONS.txt).
The nftables tables are what the real nft made of files rendered by fw_nftables itself.
"""

import json

import pytest

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall import detect as fw_detect
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall import firewalld as fw_firewalld
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall import nftables as fw_nftables
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall import ufw as fw_ufw
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall.rules import desired_rules, exposure_sources
from helpers import runner

FIXTURES = runner.FIXTURES / 'firewall'
LISTENERS = [
    {'instance': 'mi', 'name': 'http', 'port': 8290, 'exposure': 'public'},
    {'instance': 'mi', 'name': 'https', 'port': 8253, 'exposure': 'public'},
    {'instance': 'mi', 'name': 'management_http', 'port': 9201, 'exposure': 'monitoring'},
    {'instance': 'mi', 'name': 'management_https', 'port': 9164, 'exposure': 'management'},
]


def fixture(name):
    return (FIXTURES / name).read_text()


def desired(**sources):
    return desired_rules(LISTENERS, exposure_sources(**sources))


# -- nftables -------------------------------------------------------------------------------------
def test_the_rendered_file_is_the_one_the_fixtures_were_made_from():
    """If this fails the renderer changed: run capture.py again so the readers see nft's view of it."""
    table = fw_nftables.desired_table(desired(management=['10.89.150.11', 'fd42:150::11', '192.0.2.0/24']))
    assert fw_nftables.render_file(table) == fixture('nft_file_rendered.nft')


@pytest.mark.parametrize('name, sources', [
    ('nft_table_ours.json', {'management': ['10.89.150.11', 'fd42:150::11', '192.0.2.0/24']}),
    ('nft_table_restricted_public.json', {'public': ['10.89.150.0/24'], 'management': []}),
], ids=['host addresses of both families', 'public sources restricted, management closed'])
def test_a_loaded_table_reads_back_as_exactly_the_desired_table(name, sources):
    """nft prints 10.89.150.11/32 as 10.89.150.11, `priority filter` as prio 0, counters with numbers:
    the reader must still see the table it wrote, or every run would reload it."""
    assert fw_nftables.parse_table(fixture(name)) == fw_nftables.desired_table(desired(**sources))


def test_a_rule_added_by_hand_is_seen_and_makes_the_table_differ():
    table = fw_nftables.parse_table(fixture('nft_table_hand_edited.json'))
    assert table['input']['rules'][-1].startswith('unrecognised rule: ')
    assert 'udp' in table['input']['rules'][-1]
    assert table != fw_nftables.desired_table(desired(public=['10.89.150.0/24'], management=[]))


def test_chains_of_other_tables_are_foreign_and_their_policy_is_read():
    chains = fw_nftables.parse_chains(fixture('nft_chains_operator.json'))
    assert fw_nftables.foreign_input_chains(chains) == [
        {'family': 'inet', 'table': 'operator_filter', 'name': 'input', 'hook': 'input', 'policy': 'drop'}]


def test_an_operator_table_with_policy_drop_gives_a_warning():
    current = {'nft': True, 'table': None, 'file': None, 'unit_file': None, 'unit': {}, 'systemd': True,
               'other_input_chains': fw_nftables.foreign_input_chains(
                   fw_nftables.parse_chains(fixture('nft_chains_operator.json')))}
    plan = fw_nftables.plan(desired(), current)
    assert any('table inet operator_filter, chain input, has policy drop' in w for w in plan.warnings)


# -- detection ------------------------------------------------------------------------------------
@pytest.mark.parametrize('units, chains, ufw_conf, backend', [
    ('systemctl_show_plain.txt', None, None, 'none'),
    ('systemctl_show_ufw.txt', 'nft_chains_ufw.json', 'ufw.conf', 'ufw'),
    ('systemctl_show_firewalld.txt', 'nft_chains_firewalld.json', None, 'firewalld'),
    ('systemctl_show_plain.txt', 'nft_chains_operator.json', None, 'nftables'),
], ids=['nothing active', 'ufw enabled', 'firewalld running', 'our table of an earlier run'])
def test_detection_on_real_unit_states_and_rulesets(units, chains, ufw_conf, backend):
    state = {
        'units': fw_detect.parse_units(fixture(units)),
        'ufw_enabled': bool(ufw_conf) and fw_ufw.parse_settings(fixture(ufw_conf))['ENABLED'] == 'yes',
        'input_chains': [c for c in fw_nftables.parse_chains(fixture(chains)) if c['hook'] == 'input'] if chains else [],
    }
    assert fw_detect.choose(state)[0] == backend


def test_the_units_of_a_plain_host_are_read_as_inactive_and_ours_as_not_found():
    units = fw_detect.parse_units(fixture('systemctl_show_plain.txt'))
    assert units['nftables.service']['ActiveState'] == 'inactive'
    assert units[fw_nftables.UNIT]['LoadState'] == 'not-found'


# -- ufw ------------------------------------------------------------------------------------------
def ufw_current():
    return {'ufw': True, 'enabled': True, 'ipv6': True, 'default_input': 'DROP',
            'rules': fw_ufw.parse_rules(fixture('ufw_user.rules')) + fw_ufw.parse_rules(fixture('ufw_user6.rules'), True)}


def test_ufw_rule_files_are_read_as_ufw_reads_them():
    rules = ufw_current()['rules']
    assert len(rules) == 18
    route = [r for r in rules if r.action == 'route:allow']
    assert len(route) == 2 and not fw_ufw.is_ours(route[0])
    ours = [r for r in rules if fw_ufw.is_ours(r)]
    assert sorted(set(r.comment for r in ours)) == [
        'wso2ops-mi mi edited', 'wso2ops-mi mi http', 'wso2ops-mi mi management_http', 'wso2ops-mi mi management_https']


def test_a_rules_file_line_that_ufw_would_not_write_is_read_without_failing():
    rules = fw_ufw.parse_rules('### tuple ### allow tcp 80 0.0.0.0/0 any not-an-address in comment=zz\n'
                               '### tuple ### allow tcp\n')
    assert len(rules) == 1 and not fw_ufw.is_ours(rules[0]) and fw_ufw.key_of(rules[0]) is None


def test_our_ufw_rules_are_written_as_ufw_show_added_prints_them():
    shown = fixture('ufw_show_added.txt').splitlines()
    ours = [r for r in ufw_current()['rules'] if fw_ufw.is_ours(r) and fw_ufw.key_of(r)]
    assert ours and all(fw_ufw.rule_text(fw_ufw.key_of(rule)) in shown for rule in ours)


def test_ufw_plan_on_the_captured_rules_deletes_only_our_edited_rule_and_keeps_the_operators():
    plan = fw_ufw.plan(desired(monitoring=['10.0.0.0/8', 'fc00::/7'], management=['10.89.150.11', 'fd42:150::11']),
                       ufw_current())
    assert [a.verb for a in plan.actions] == ['delete']
    assert plan.actions[0].args[0] == ['ufw', 'delete', 'allow', 'from', '203.0.113.7', 'to', 'any', 'port', '9999',
                                       'proto', 'udp']
    # 8253 is allowed by the operator's own rule: ufw would give it our comment, so the module adds nothing.
    assert any('operator already allows port 8253' in w for w in plan.warnings)


# -- firewalld ------------------------------------------------------------------------------------
def test_firewalld_returns_rich_rules_in_the_form_the_module_compares():
    zone = json.loads(fixture('firewalld_public_zone.json'))
    assert fw_firewalld.rich_rule('10.0.0.0/8', 'wso2ops-mi-mi-public') in zone['permanent']['rules_str']


def test_runtime_only_changes_of_the_operator_are_found_and_ours_left_out():
    zone = json.loads(fixture('firewalld_public_zone.json'))
    assert fw_firewalld.settings_differences(zone['permanent'], zone['runtime']) == ['ports', 'rules_str']
    ours_only = dict(zone['runtime'], ports=zone['permanent']['ports'],
                     rules_str=zone['permanent']['rules_str'] + [fw_firewalld.rich_rule('fc00::/7', 'wso2ops-mi-x-y')])
    assert fw_firewalld.settings_differences(zone['permanent'], ours_only) == []


def test_service_ports_read_from_firewalld_compare_with_the_desired_definition():
    zone = json.loads(fixture('firewalld_public_zone.json'))
    wanted = fw_firewalld.desired_objects(desired())['services']['wso2ops-mi-mi-public']['ports']
    assert sorted(tuple(port) for port in zone['service_runtime']) == wanted
