"""The nftables, ufw and firewalld backends against real kernel rulesets: the firewall module run for real, as
Ansible runs it, in a network, mount and PID namespace of the test's own (helpers.namespace: its own ruleset, /etc
and /run), so this machine's firewall and files are neither read nor changed. Each expected ruleset is written out
by hand, as nft, iptables and firewall-cmd print it; an operator's own rules are compared byte for byte before and
after.

The namespace has no systemd: the nftables backend writes its file and loads it (its unit, which loads the table
at boot, is planned only where systemd runs: test_backend_plans.py, and the molecule scenario on podman hosts).
firewalld runs in the namespace on a D-Bus system bus of its own, from the package tests/install-packages.sh
unpacks into .build/firewalld without installing it (installed, it would become this machine's firewall).
"""

import json

import pytest

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall import nftables as fw_nftables
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall import ufw as fw_ufw
from helpers.namespace import namespace
from helpers.runner import REPO, SYSTEM_PYTHON

SOURCES = {'management_sources': ['192.0.2.10', '2001:db8::10'], 'monitoring_sources': ['10.0.0.0/8']}
WRITE_AND_LOAD = ['write /etc/wso2ops-mi-ports.nft', 'load /etc/wso2ops-mi-ports.nft (replaces table inet wso2ops_mi only)']
# An operator's own tables, loaded before the module's first run: an input chain with policy drop, and a NAT table.
OPERATOR = '''table inet operator_filter {
\tchain input {
\t\ttype filter hook input priority filter + 10; policy drop;
\t\tct state established,related accept
\t\ttcp dport 22 accept comment "operator ssh"
\t}
}
table ip operator_nat {
\tchain prerouting {
\t\ttype nat hook prerouting priority dstnat; policy accept;
\t\ttcp dport 8080 redirect to :8290
\t}
}
'''


def listeners(instance='mi', offset=10):
    return [{'instance': instance, 'name': 'http', 'port': 8280 + offset, 'exposure': 'public'},
            {'instance': instance, 'name': 'management_http', 'port': 9191 + offset, 'exposure': 'monitoring'},
            {'instance': instance, 'name': 'management_https', 'port': 9154 + offset, 'exposure': 'management'}]


def nft_lines(instance='mi', offset=10):
    """The rules of one instance as nft prints them, without the loopback rule and the drop."""
    http, monitoring, management = 8280 + offset, 9191 + offset, 9154 + offset
    return ['tcp dport %d accept comment "wso2ops-mi %s http"' % (http, instance),
            'ip saddr 10.0.0.0/8 tcp dport %d accept comment "wso2ops-mi %s management_http"' % (monitoring, instance),
            'ip saddr 192.0.2.10 tcp dport %d accept comment "wso2ops-mi %s management_https"' % (management, instance),
            'ip6 saddr 2001:db8::10 tcp dport %d accept comment "wso2ops-mi %s management_https"' % (management, instance)]


LOOPBACK = 'iif "lo" accept comment "wso2ops-mi loopback"'


def drop(*ports):
    return 'tcp dport %s counter packets 0 bytes 0 drop comment "wso2ops-mi restricted ports, other sources"' % (
        ports[0] if len(ports) == 1 else '{ %s }' % ', '.join(map(str, sorted(ports))))


# -- nftables -------------------------------------------------------------------------------------
@pytest.fixture
def nft(tmp_path):
    """A namespace holding the operator's tables."""
    with namespace(tmp_path, 'nft') as space:
        space.run(['nft', '-f', '-'], stdin=OPERATOR)
        yield space


def run_nftables(space, items, check=False, **extra):
    result = space.module('firewall', dict(SOURCES, backend='nftables', listeners=items, **extra), check=check)
    assert 'failed' not in result, result
    return result


def kernel_rules(space):
    """Our chain's rules as nft prints the kernel's table (nft list table), one line each."""
    text = space.run(['nft', 'list', 'table', 'inet', fw_nftables.TABLE]).stdout
    lines = [line.strip() for line in text.splitlines()]
    assert lines[:3] == ['table inet wso2ops_mi {', 'chain input {',
                         'type filter hook input priority filter; policy accept;'], text
    assert lines[-2:] == ['}', '}'], text
    return lines[3:-2]


def read_back(space):
    """Our table through the backend's own reader, from the kernel's JSON (nft -j list table)."""
    return fw_nftables.parse_table(space.run(['nft', '-j', 'list', 'table', 'inet', fw_nftables.TABLE]).stdout)


def operator_tables(space):
    """The operator's tables as nft prints them, with handles: a table deleted and made again differs."""
    return [space.run(['nft', '-a', 'list', 'table'] + name.split()).stdout
            for name in ('inet operator_filter', 'ip operator_nat')]


def test_nftables_converges_reads_back_what_it_loaded_and_then_has_nothing_to_do(nft):
    operator = operator_tables(nft)
    first = run_nftables(nft, listeners())
    assert first['changed'] is True and first['actions'] == WRITE_AND_LOAD
    assert kernel_rules(nft) == [LOOPBACK] + nft_lines() + [drop(9164, 9201)]
    # The reader sees the table it wrote (nft prints /32 and /128 away, counters with numbers): a converged host
    # must not be reloaded at every run.
    assert read_back(nft)['input']['rules'] == [
        LOOPBACK, 'tcp dport 8290 accept comment "wso2ops-mi mi http"',
        'ip saddr 10.0.0.0/8 tcp dport 9201 accept comment "wso2ops-mi mi management_http"',
        'ip saddr 192.0.2.10/32 tcp dport 9164 accept comment "wso2ops-mi mi management_https"',
        'ip6 saddr 2001:db8::10/128 tcp dport 9164 accept comment "wso2ops-mi mi management_https"',
        'tcp dport { 9164, 9201 } counter drop comment "wso2ops-mi restricted ports, other sources"']
    assert any('table inet operator_filter, chain input, has policy drop' in str(w) for w in first['warnings'])
    for check in (True, False):
        again = run_nftables(nft, listeners(), check=check)
        assert (again['changed'], again['actions'], again['rules_added'], again['rules_removed']) == (False, [], [], [])
    auto = nft.module('firewall', dict(SOURCES, backend='auto', listeners=listeners()), check=True)
    assert (auto['backend'], auto['actions']) == ('nftables', []), auto
    assert operator_tables(nft) == operator


def test_nftables_port_move_replaces_exactly_the_rules_of_the_old_ports(nft):
    run_nftables(nft, listeners(offset=3))
    operator = operator_tables(nft)
    check = run_nftables(nft, listeners(), check=True)
    assert check['changed'] is True and check['actions'] == WRITE_AND_LOAD
    assert kernel_rules(nft) == [LOOPBACK] + nft_lines(offset=3) + [drop(9157, 9194)], 'check mode changed the table'
    moved = run_nftables(nft, listeners())
    assert moved['changed'] is True and moved['actions'] == WRITE_AND_LOAD
    assert moved['rules_removed'] == [
        'tcp dport 8283 accept comment "wso2ops-mi mi http"',
        'ip saddr 10.0.0.0/8 tcp dport 9194 accept comment "wso2ops-mi mi management_http"',
        'ip saddr 192.0.2.10/32 tcp dport 9157 accept comment "wso2ops-mi mi management_https"',
        'ip6 saddr 2001:db8::10/128 tcp dport 9157 accept comment "wso2ops-mi mi management_https"',
        'tcp dport { 9157, 9194 } counter drop comment "wso2ops-mi restricted ports, other sources"']
    assert [line.replace('/32 ', ' ').replace('/128 ', ' ') for line in moved['rules_added']] == nft_lines() + [
        drop(9164, 9201).replace('counter packets 0 bytes 0', 'counter')]
    assert kernel_rules(nft) == [LOOPBACK] + nft_lines() + [drop(9164, 9201)]
    assert run_nftables(nft, listeners())['actions'] == []
    assert operator_tables(nft) == operator


def test_nftables_instance_removed_loses_exactly_its_rules(nft):
    run_nftables(nft, listeners('a', 10) + listeners('b', 20))
    assert kernel_rules(nft) == [LOOPBACK] + nft_lines('a', 10) + nft_lines('b', 20) + [drop(9164, 9174, 9201, 9211)]
    result = run_nftables(nft, listeners('a', 10))
    assert result['changed'] is True
    assert kernel_rules(nft) == [LOOPBACK] + nft_lines('a', 10) + [drop(9164, 9201)]


def test_nftables_table_deleted_or_edited_by_hand_is_loaded_again_from_the_unchanged_file(nft):
    run_nftables(nft, listeners())
    nft.run(['nft', 'delete', 'table', 'inet', fw_nftables.TABLE])
    result = run_nftables(nft, listeners())
    assert result['changed'] is True and result['actions'] == [WRITE_AND_LOAD[1]]
    nft.run(['nft', 'add', 'rule', 'inet', fw_nftables.TABLE, 'input', 'udp', 'dport', '5353', 'accept'])
    result = run_nftables(nft, listeners())
    assert result['actions'] == [WRITE_AND_LOAD[1]] and result['rules_removed'][0].startswith('unrecognised rule: ')
    assert kernel_rules(nft) == [LOOPBACK] + nft_lines() + [drop(9164, 9201)]


def test_nftables_keep_opens_the_new_ports_keeps_the_old_ones_restricted_and_a_full_run_closes_them(nft):
    run_nftables(nft, listeners(offset=3))
    kept = run_nftables(nft, listeners(), remove_stale=False)
    assert kept['actions'] == WRITE_AND_LOAD
    # Only the drop of before goes: the new one names the old and the new restricted ports, and comes last.
    assert kept['rules_removed'] == [
        'tcp dport { 9157, 9194 } counter drop comment "wso2ops-mi restricted ports, other sources"']
    assert kernel_rules(nft) == [LOOPBACK] + nft_lines() + nft_lines(offset=3) + [drop(9157, 9164, 9194, 9201)]
    assert run_nftables(nft, listeners(), remove_stale=False)['actions'] == []
    run_nftables(nft, listeners())
    assert kernel_rules(nft) == [LOOPBACK] + nft_lines() + [drop(9164, 9201)]


# -- ufw ------------------------------------------------------------------------------------------
@pytest.fixture
def ufw(tmp_path):
    """A namespace where ufw is enabled (in the namespace's /etc and ruleset) with an operator's SSH rule."""
    with namespace(tmp_path, 'ufw', 'iptables', 'ip6tables') as space:
        space.run(['ufw', '--force', 'enable'])
        space.run(['ufw', 'allow', 'in', 'to', 'any', 'port', '22', 'proto', 'tcp', 'comment', 'operator ssh'])
        yield space


def run_ufw(space, items, check=False, **extra):
    result = space.module('firewall', dict(SOURCES, backend='ufw', listeners=items, **extra), check=check)
    assert 'failed' not in result, result
    return result


def ufw_chain(space, command='iptables'):
    """ufw's chain of user rules in the kernel, as iptables -S prints it (comments left out)."""
    text = space.run([command, '-S', 'ufw%s-user-input' % ('6' if command == 'ip6tables' else '')]).stdout
    return [line.split(' -m comment')[0] for line in text.splitlines()[1:]]


def iptables_lines(offset=10):
    http, monitoring, management = 8280 + offset, 9191 + offset, 9154 + offset
    return ['-A ufw-user-input -p tcp -m tcp --dport %d -j ACCEPT' % http,
            '-A ufw-user-input -s 10.0.0.0/8 -p tcp -m tcp --dport %d -j ACCEPT' % monitoring,
            '-A ufw-user-input -s 192.0.2.10/32 -p tcp -m tcp --dport %d -j ACCEPT' % management]


def ip6tables_lines(offset=10):
    return ['-A ufw6-user-input -p tcp -m tcp --dport %d -j ACCEPT' % (8280 + offset),
            '-A ufw6-user-input -s 2001:db8::10/128 -p tcp -m tcp --dport %d -j ACCEPT' % (9154 + offset)]


OPERATOR_SSH = ['-A ufw-user-input -p tcp -m tcp --dport 22 -j ACCEPT']
OPERATOR_SSH6 = ['-A ufw6-user-input -p tcp -m tcp --dport 22 -j ACCEPT']


def test_ufw_converges_keeps_the_operator_rule_and_then_has_nothing_to_do(ufw):
    first = run_ufw(ufw, listeners())
    assert first['changed'] is True and first['actions'] == [
        "ufw allow 8290/tcp comment 'wso2ops-mi mi http'",
        "ufw allow from 10.0.0.0/8 to any port 9201 proto tcp comment 'wso2ops-mi mi management_http'",
        "ufw allow from 192.0.2.10 to any port 9164 proto tcp comment 'wso2ops-mi mi management_https'",
        "ufw allow from 2001:db8::10 to any port 9164 proto tcp comment 'wso2ops-mi mi management_https'"]
    assert ufw_chain(ufw) == OPERATOR_SSH + iptables_lines()
    assert ufw_chain(ufw, 'ip6tables') == OPERATOR_SSH6 + ip6tables_lines()
    # The reader reads what ufw itself wrote.
    ours = [rule for rule in fw_ufw.parse_rules(ufw.run(['cat', fw_ufw.RULES_FILES[0]]).stdout) if fw_ufw.is_ours(rule)]
    assert [(rule.dport, rule.src, rule.comment) for rule in ours] == [
        ('8290', '0.0.0.0/0', 'wso2ops-mi mi http'), ('9201', '10.0.0.0/8', 'wso2ops-mi mi management_http'),
        ('9164', '192.0.2.10', 'wso2ops-mi mi management_https')]
    for check in (True, False):
        again = run_ufw(ufw, listeners(), check=check)
        assert (again['changed'], again['actions']) == (False, [])


def test_ufw_keep_then_port_move_and_instance_removal_delete_exactly_our_old_rules(ufw):
    run_ufw(ufw, listeners('a', 3) + listeners('b', 20))
    assert ufw_chain(ufw) == OPERATOR_SSH + iptables_lines(3) + iptables_lines(20)
    kept = run_ufw(ufw, listeners('a', 10), remove_stale=False)
    assert kept['changed'] is True and not any(action.startswith('ufw delete') for action in kept['actions'])
    assert ufw_chain(ufw) == OPERATOR_SSH + iptables_lines(3) + iptables_lines(20) + iptables_lines(10)
    moved = run_ufw(ufw, listeners('a', 10))
    assert moved['changed'] is True and all(action.startswith('ufw delete') for action in moved['actions'])
    assert ufw_chain(ufw) == OPERATOR_SSH + iptables_lines(10)
    assert ufw_chain(ufw, 'ip6tables') == OPERATOR_SSH6 + ip6tables_lines()
    assert run_ufw(ufw, listeners('a', 10))['actions'] == []


# -- firewalld ------------------------------------------------------------------------------------
FIREWALLD = REPO / '.build' / 'firewalld'  # tests/install-packages.sh unpacks the package there
START_FIREWALLD = '''set -e
mount -t tmpfs tmpfs /var/log
mount -t overlay overlay -o lowerdir={root}/usr:/usr /usr
cp -a {root}/etc/firewalld /etc/
mkdir -p /run/dbus
dbus-daemon --system --fork
firewalld --nopid
for i in $(seq 150); do firewall-cmd --state >/dev/null 2>&1 && exit 0; sleep 0.1; done
firewall-cmd --state
'''.format(root=FIREWALLD)
# An operator's own objects: a port in zone public and a zone of their own, runtime and permanent.
OPERATOR_FIREWALLD = ('firewall-cmd --permanent --zone=public --add-port=2222/tcp && '
                      'firewall-cmd --permanent --new-zone=operator && '
                      'firewall-cmd --permanent --zone=operator --add-source=198.51.100.0/24 && firewall-cmd --reload')


@pytest.fixture
def firewalld(tmp_path):
    """A namespace where firewalld runs, holding an operator's own objects."""
    if not (FIREWALLD / 'usr' / 'sbin' / 'firewalld').is_file():
        pytest.skip('firewalld is not unpacked in %s (tests/install-packages.sh unpacks it)' % FIREWALLD)
    with namespace(tmp_path, 'dbus-daemon') as space:
        space.run(['sh', '-c', START_FIREWALLD])
        space.run(['sh', '-c', OPERATOR_FIREWALLD])
        yield space


def run_firewalld(space, items, check=False, **extra):
    """The firewall module run by the system Python, which has firewalld's client (under another Python the module
    runs itself again under that one: test_firewall_module.py)."""
    result = space.module('firewall', dict(SOURCES, backend='firewalld', listeners=items, **extra), check=check,
                          python=SYSTEM_PYTHON)
    assert 'failed' not in result, result
    return result


def zones(space):
    """Every zone, runtime and permanent, as firewall-cmd lists them, without our services and rich rules."""
    text = space.run(['sh', '-c', 'firewall-cmd --list-all-zones; firewall-cmd --permanent --list-all-zones']).stdout
    return [' '.join(word for word in line.split(' ') if not word.startswith('wso2ops-mi-'))
            for line in text.splitlines() if 'service name="wso2ops-mi-' not in line]


# Our objects in zone public through firewalld's own client, runtime then permanent: (zone services, sorted rich
# rules, {service: ports}).
READ_OURS = '''
import json
from firewall.client import FirewallClient
fw = FirewallClient()
layers = []
for zone, service in ((fw.getZoneSettings("public"), fw.getServiceSettings),
                      (fw.config().getZoneByName("public").getSettings(),
                       lambda name: fw.config().getServiceByName(name).getSettings())):
    services = [name for name in zone.getServices() if name.startswith("wso2ops-mi-")]
    rich = sorted(rule for rule in zone.getRichRules() if "wso2ops-mi-" in rule)
    named = sorted(set(services) | set(rule.split('service name="')[1].split('"')[0] for rule in rich))
    layers.append([services, rich, dict((name, " ".join("/".join(port) for port in service(name).getPorts()))
                                        for name in named)])
print(json.dumps(layers))
'''


def ours(space):
    """Our objects in zone public, runtime and permanent alike (else the test fails)."""
    runtime, permanent = json.loads(space.run([SYSTEM_PYTHON, '-c', READ_OURS]).stdout)
    assert runtime == permanent, 'runtime and permanent differ: %s' % [runtime, permanent]
    return tuple(runtime)


def firewalld_objects(instance='mi', offset=10):
    http, monitoring, management = 8280 + offset, 9191 + offset, 9154 + offset
    name = 'wso2ops-mi-%s-' % instance
    return ([name + 'public'],
            ['rule family="ipv4" source address="10.0.0.0/8" service name="%smonitoring" accept' % name,
             'rule family="ipv4" source address="192.0.2.10/32" service name="%smanagement" accept' % name,
             'rule family="ipv6" source address="2001:db8::10/128" service name="%smanagement" accept' % name],
            {name + 'public': '%d/tcp' % http, name + 'monitoring': '%d/tcp' % monitoring,
             name + 'management': '%d/tcp' % management})


def test_firewalld_converges_in_both_layers_and_then_has_nothing_to_do(firewalld):
    operator = zones(firewalld)
    first = run_firewalld(firewalld, listeners())
    assert first['changed'] is True
    assert ours(firewalld) == firewalld_objects()
    for check in (True, False):
        again = run_firewalld(firewalld, listeners(), check=check)
        assert (again['changed'], again['actions']) == (False, [])
    assert zones(firewalld) == operator


def test_firewalld_port_move_and_instance_removal_change_exactly_our_objects(firewalld):
    operator = zones(firewalld)
    run_firewalld(firewalld, listeners('a', 3) + listeners('b', 20))
    (a_services, a_rich, a_ports), (b_services, b_rich, b_ports) = firewalld_objects('a', 3), firewalld_objects('b', 20)
    assert ours(firewalld) == (a_services + b_services, sorted(a_rich + b_rich), dict(a_ports, **b_ports))
    moved = run_firewalld(firewalld, listeners('a', 10))
    assert moved['changed'] is True
    assert ours(firewalld) == firewalld_objects('a', 10)
    assert run_firewalld(firewalld, listeners('a', 10))['actions'] == []
    assert zones(firewalld) == operator
