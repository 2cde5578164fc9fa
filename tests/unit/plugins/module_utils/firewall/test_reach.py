"""What each firewall backend lets through (plugins/module_utils/fw_reach.py), from real backend output:
`nft -j list ruleset` and ufw's own rule files, both made by nft and ufw in a test-host container from
the ruleset and commands next to them in tests/fixtures (nft-ruleset-audit.nft; the ufw commands are
in the docstring of test_ufw_rules_and_default_policy)."""

import pytest

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall import reach as fw_reach
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall import ufw as fw_ufw
from helpers.runner import FIXTURES


def nft():
    return fw_reach.from_nftables((FIXTURES / 'nft-ruleset-audit.json').read_text(), 'test')


@pytest.mark.parametrize('port, state, sources', [
    (8290, 'any', []),                          # both tables accept it
    (9201, 'sources', ['10.0.0.0/8']),          # ours: 10/8 and 192.168/16; the operator's: 10/8 only
    (9164, 'sources', ['10.1.0.0/16']),         # ours 10.1/16, inside the operator's 10/8
    (7000, 'any', []),                          # accepted in the chain the operator's input jumps to
    (8500, 'any', []),                          # our stale rule, and the operator's accept
    (53, 'closed', []),                         # udp only in the operator's table, whose policy is drop
    (8080, 'closed', []),
])
def test_nftables_every_input_chain_must_let_it_through(port, state, sources):
    found = fw_reach.reach_of(nft(), port, ['0.0.0.0'])
    assert (found['state'], found['sources']) == (state, sources)


def test_nftables_rules_it_cannot_evaluate_are_named_and_ours_are_found():
    firewall = nft()
    assert firewall['guarded'] is True and [c['name'] for c in firewall['chains']] == [
        'table inet filter chain input', 'table inet wso2ops_mi chain input']
    assert [c['policy'] for c in firewall['chains']] == ['closed', 'any']
    assert len(firewall['notes']) == 1 and 'table inet filter chain extra' in firewall['notes'][0]
    assert [(r['instance'], r['name'], r['port'], r['source']) for r in fw_reach.our_rules(firewall)] == [
        ('a', 'http', 8290, None), ('a', 'https', 8253, None), ('a', 'management_http', 9201, '10.0.0.0/8'),
        ('a', 'management_http', 9201, '192.168.0.0/16'), ('a', 'management_https', 9164, '10.1.0.0/16'),
        ('gone', 'http', 8500, None)]


def test_nftables_without_an_input_chain_guards_nothing():
    firewall = fw_reach.from_nftables('{"nftables": [{"metainfo": {"version": "1.0.6"}}]}')
    assert firewall['guarded'] is False and fw_reach.reach_of(firewall, 9164)['state'] == 'any'


def ufw(default_input='DROP', enabled=True):
    rules = fw_ufw.parse_rules((FIXTURES / 'ufw-user.rules').read_text())
    rules += fw_ufw.parse_rules((FIXTURES / 'ufw-user6.rules').read_text(), v6=True)
    return fw_reach.from_ufw({'ufw': True, 'enabled': enabled, 'ipv6': True, 'default_input': default_input,
                              'rules': rules}, 'ufw is enabled')


@pytest.mark.parametrize('port, state, sources', [
    (8290, 'any', []),
    (9201, 'sources', ['10.0.0.0/8', '10.9.9.9/32']),    # 10.9.9.9 may reach every port
    (9164, 'sources', ['10.89.170.0/24', '10.9.9.9/32']),
    (8253, 'any', []),                                    # denied to 10.66/16 only
    (8050, 'any', []),                                    # a port range
    (9999, 'sources', ['10.9.9.9/32']),
])
def test_ufw_rules_and_default_policy(port, state, sources):
    """Made with: ufw --force enable; ufw allow 22/tcp; ufw allow from any to any port 8290 proto tcp comment
    'wso2ops-mi a http'; ufw allow from 10.0.0.0/8 to any port 9201 proto tcp comment 'wso2ops-mi a
    management_http'; ufw allow from 10.89.170.0/24 to any port 9164 proto tcp comment 'wso2ops-mi a
    management_https'; ufw deny from 10.66.0.0/16 to any port 8253 proto tcp; ufw allow 8253/tcp;
    ufw allow 8000:8100/tcp; ufw allow from 10.9.9.9; ufw allow from any to any port 8500 proto tcp
    comment 'wso2ops-mi gone http'."""
    found = fw_reach.reach_of(ufw(), port, ['0.0.0.0'])
    assert (found['state'], found['sources']) == (state, sources)


def test_ufw_accept_policy_and_disabled_ufw():
    assert fw_reach.reach_of(ufw('ACCEPT'), 9999)['state'] == 'any'
    disabled = ufw(enabled=False)
    assert disabled['guarded'] is False and fw_reach.reach_of(disabled, 9164)['by'] == 'no firewall'
    assert [(r['instance'], r['port']) for r in fw_reach.our_rules(ufw())] == [
        ('a', 8290), ('a', 9201), ('a', 9164), ('gone', 8500)]


ZONES = [{'name': 'public', 'interfaces': ['eth0'], 'sources': [], 'target': 'default',
          'services': ['ssh', 'wso2ops-mi-a-public'], 'ports': [('7000-7010', 'tcp'), ('53', 'udp')],
          'rich_rules': ['rule family="ipv4" source address="10.1.0.0/16" service name="wso2ops-mi-a-management" accept',
                         'rule family="ipv6" source address="fc00::/7" service name="wso2ops-mi-a-monitoring" accept',
                         'rule family="ipv4" source address="10.0.0.0/8" service name="wso2ops-mi-a-monitoring" accept',
                         'rule family="ipv4" source address="10.2.0.0/16" port port="9999" protocol="tcp" reject',
                         'rule family="ipv4" source ipset="admins" accept']},
         {'name': 'trusted', 'interfaces': [], 'sources': ['192.168.5.0/24'], 'target': 'ACCEPT', 'services': [],
          'ports': [], 'rich_rules': []}]
SERVICES = {'ssh': [('22', 'tcp')], 'wso2ops-mi-a-public': [('8290', 'tcp'), ('8253', 'tcp')],
            'wso2ops-mi-a-management': [('9164', 'tcp')], 'wso2ops-mi-a-monitoring': [('9201', 'tcp')]}


@pytest.mark.parametrize('port, state, sources', [
    (8290, 'any', []),
    (9164, 'sources', ['10.1.0.0/16', '192.168.5.0/24']),
    (9201, 'sources', ['10.0.0.0/8', '192.168.5.0/24']),
    (7005, 'any', []),
    (53, 'sources', ['192.168.5.0/24']),
    (9999, 'sources', ['192.168.5.0/24']),
])
def test_firewalld_zones_services_and_rich_rules(port, state, sources):
    found = fw_reach.reach_of(fw_reach.from_firewalld(ZONES, SERVICES), port, ['0.0.0.0'])
    assert (found['state'], found['sources']) == (state, sources)


def test_firewalld_our_services_and_rules_it_cannot_evaluate():
    firewall = fw_reach.from_firewalld(ZONES, SERVICES)
    assert firewall['notes'] == ['zone public: rich rule not evaluated: rule family="ipv4" source ipset="admins" accept']
    assert sorted((r['instance'], r['port'], r['source']) for r in fw_reach.our_rules(firewall)) == [
        ('a', 8253, None), ('a', 8290, None), ('a', 9164, '10.1.0.0/16'), ('a', 9201, '10.0.0.0/8')]


def test_loopback_sockets_and_an_unread_firewall():
    assert fw_reach.reach_of(nft(), 9164, ['127.0.0.1'])['state'] == 'local'
    assert fw_reach.reach_of(nft(), 9164, ['127.0.0.1', '0.0.0.0'])['state'] == 'sources'
    assert fw_reach.reach_of(None, 9164, ['0.0.0.0']) == {'state': 'unknown', 'sources': [], 'by': 'firewall not read'}
