"""The control plane of an instance (plugins/module_utils/mi/control_plane.py): what MI registers with and what it
tells it, table-driven on real TOML text read by the real port model, and on the real files of the corpus."""

import json

import pytest

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi import control_plane as cp
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.toml.engine import (
    edit_ports,
    parse_plain,
    read_model,
)
from helpers.runner import REPO

WILD = REPO.parent / 'shared' / 'corpus' / 'in-the-wild'
ICP = '[icp_config]\nenabled = true\nicp_url = "https://10.89.170.20:9445"\nsecret = "s3cr3t-hmac"\n'


def plane(text, jvm_args=None, environment=None, version=(4, 6, 0)):
    return cp.read_control_plane(parse_plain(text), read_model(text, jvm_args, environment), jvm_args, environment,
                                 version)


@pytest.mark.parametrize('text, jvm_args, told, real, kinds', [
    # offset 10 (unset): the agent's 9164 is right
    (ICP, None, 9164, 9164, []),
    # [server] offset 15: 9164 - 10 + 15 = 9169, right
    ('[server]\noffset = 15\n' + ICP, None, 9169, 9169, []),
    # -DportOffset=15: the agent ignores it and still says 9164
    (ICP, '-DportOffset=15', 9164, 9169, ['control_plane_port']),
    # internal_https_api_port moved: ignored by the agent
    ('[mediation]\ninternal_https_api_port = 9300\n' + ICP, None, 9164, 9310, ['control_plane_port']),
    # offset 0: the agent says 9164 (it keeps its default when the offset is 0), MI listens on 9154
    ('[server]\noffset = 0\n' + ICP, None, 9164, 9154, ['control_plane_port']),
    # a string offset as Puppet writes it is read as Java reads it
    ('[server]\noffset = "12"\n' + ICP, None, 9166, 9166, []),
])
def test_the_icp_agent_arithmetic_against_the_real_management_port(text, jvm_args, told, real, kinds):
    found = plane(text, jvm_args)
    assert found['kind'] == 'icp' and found['host'] == '10.89.170.20' and found['port'] == 9445
    assert (found['advertised']['port'], found['management']['port']) == (told, real)
    problems = cp.advertised_problems(found)
    assert [kind for kind, _message, _ports in problems] == kinds
    if kinds:
        assert problems[0][2] == sorted([told, real]) and str(told) in problems[0][1] and str(real) in problems[0][1]


def test_the_secret_is_never_returned_and_its_absence_is_a_problem():
    found = plane(ICP)
    assert found['secret_set'] is True and 's3cr3t-hmac' not in json.dumps(found)
    missing = plane('[icp_config]\nenabled = true\n')
    assert missing['secret_set'] is False and missing['url'] == cp.DEFAULT_ICP_URL
    assert any('icp_config.secret is not set' in problem for problem in missing['problems'])


def test_a_placeholder_value_is_used_but_never_shown():
    text = ('[icp_config]\nenabled = true\nicp_url = "$env{ICP_URL}"\nsecret = "$secret{icp}"\n'
            'heartbeat_interval = "$env{BEAT}"\nenvironment = "$env{STAGE}"\n')
    env = {'ICP_URL': 'https://admin:pw-in-url@10.1.2.3:9445/icp', 'BEAT': 'often', 'STAGE': 'prod-secret-stage'}
    found = plane(text, environment=env)
    shown = json.dumps(found)
    assert (found['host'], found['port'], found['url']) == ('10.1.2.3', 9445, '$env{ICP_URL}')
    assert found['settings']['environment'] == '$env{STAGE}'
    assert 'pw-in-url' not in shown and 'prod-secret-stage' not in shown and 'often' not in shown
    assert found['heartbeat_interval'] == 10 and any('heartbeat_interval' in p for p in found['problems'])
    unknown = plane(text)
    assert unknown['host'] is None and unknown['url'] == '$env{ICP_URL}'


def test_credentials_in_a_written_url_are_dropped():
    found = plane('[dashboard_config]\ndashboard_url = "https://ops:hunter2@dash.example:9743/dashboard/api/"\n')
    assert found['url'] == 'https://dash.example:9743/dashboard/api/' and 'hunter2' not in json.dumps(found)


@pytest.mark.parametrize('text, jvm_args, version, told, source, kinds', [
    # the dashboard gets the real port, -DportOffset included
    ('[dashboard_config]\ndashboard_url = "https://10.0.0.9:9743/dashboard/api/"\n', '-DportOffset=20', (4, 4, 0),
     9174, 'the real Management API port', []),
    # a NAT override that disagrees with the real port
    ('[dashboard_config]\ndashboard_url = "https://10.0.0.9:9743/dashboard/api/"\nmanagement_hostname = "nat.example"'
     '\nmanagement_port = 30164\n', None, (4, 4, 0), 30164, 'dashboard_config.management_port',
     ['control_plane_override']),
    # management_port without management_hostname: ignored by MI
    ('[dashboard_config]\ndashboard_url = "https://10.0.0.9:9743/dashboard/api/"\nmanagement_port = 30164\n', None,
     (4, 4, 0), 9164, 'the real Management API port', []),
    # icp_config in a 4.4 file: ignored, the dashboard is used
    ('[dashboard_config]\ndashboard_url = "https://10.0.0.9:9743/dashboard/api/"\n' + ICP, None, (4, 4, 0), 9164,
     'the real Management API port', []),
])
def test_the_dashboard_is_told_the_real_port_unless_overridden(text, jvm_args, version, told, source, kinds):
    found = plane(text, jvm_args, version=version)
    assert found['kind'] == 'dashboard' and found['heartbeat_interval'] == 5
    assert (found['advertised']['port'], found['advertised']['port_source']) == (told, source)
    assert [kind for kind, _m, _p in cp.advertised_problems(found)] == kinds


def test_no_control_plane():
    assert plane('[server]\noffset = 11\n') == {'kind': None, 'problems': []}


def test_loopback_advertised_host_while_the_control_plane_is_elsewhere():
    found = plane('[server]\nhostname = "localhost"\n' + ICP)
    assert found['advertised']['host'] == 'localhost'
    assert [kind for kind, _m, _p in cp.advertised_problems(found)] == ['control_plane_host']


@pytest.mark.parametrize('reach, address, blocked', [
    ({'state': 'any', 'sources': []}, '10.89.170.20', False),
    ({'state': 'sources', 'sources': ['10.89.170.0/24']}, '10.89.170.20', False),
    ({'state': 'sources', 'sources': ['10.1.0.0/16']}, '10.89.170.20', True),
    ({'state': 'closed', 'sources': []}, '10.89.170.20', True),
    ({'state': 'local', 'sources': []}, '10.89.170.20', True),
    ({'state': 'local', 'sources': []}, '127.0.0.1', False),
    ({'state': 'unknown', 'sources': []}, '10.89.170.20', False),
])
def test_the_firewall_and_the_control_plane(reach, address, blocked):
    message = cp.blocked_message(plane(ICP), address, reach)
    assert bool(message) is blocked
    if blocked:
        assert '10.89.170.20' in message or address in message


def test_the_plan_warns_when_management_sources_leave_the_control_plane_out():
    found = plane(ICP)
    warning = cp.sources_warning('orders', found, '10.89.170.20', ['10.1.0.0/16'])
    assert 'orders' in warning and '10.89.170.20' in warning and 'allow_control_plane' in warning
    assert cp.sources_warning('orders', found, '10.89.170.20', ['10.89.170.0/24']) is None


def test_the_run_says_what_to_change_after_a_port_move():
    before = plane(ICP)
    after = plane('[mediation]\ninternal_https_api_port = 9300\n' + ICP)
    warnings = cp.follow_warnings('orders', before, after)
    assert len(warnings) == 1 and '9164' in warnings[0] and '9310' in warnings[0]
    dashboard = '[dashboard_config]\ndashboard_url = "https://d:9743/"\nmanagement_hostname = "nat"\n'
    moved = cp.follow_warnings('orders', plane(dashboard + 'management_port = 9164\n', version=(4, 4, 0)),
                               plane('[server]\noffset = 12\n' + dashboard + 'management_port = 9164\n',
                                     version=(4, 4, 0)))
    assert moved and 'management_port = 9166' in moved[0]


def test_the_corpus_files_with_a_dashboard():
    """The real files: the dashboard with the Management API over http only is told a port MI does not serve."""
    found = {}
    for path in sorted(WILD.glob('*.toml')):
        text = path.read_text()
        try:
            config = parse_plain(text)
        except Exception:  # noqa: BLE001 - the two invalid files of the corpus (test_in_the_wild names them)
            continue
        result = cp.read_control_plane(config, read_model(text), None, None, None)
        if result['kind']:
            found[path.name] = result
    assert len(found) == 6, sorted(found)  # also dotted keys (dashboard_config.dashboard_url = ...)
    http_only = found['Yasithalalanga__MI-HelloWorld-Sample__deployment.toml']
    assert [kind for kind, _m, _p in cp.advertised_problems(http_only)] == ['control_plane_port']
    compose = found['hungnt612__WSO2-MI-Docker-Compose__deployment.toml']
    assert (compose['host'], compose['port'], compose['settings']['node_id']) == ('dashboard', 9743, 'dev_node_2')


def test_the_key_the_warning_names_makes_the_advertised_port_follow():
    """The warning's fix, given to the instances module as a port, is written and silences the warning."""
    text = ('[server]\noffset = 12\n[dashboard_config]\ndashboard_url = "https://d:9743/"\n'
            'management_hostname = "nat"\nmanagement_port = 9164\n')
    edit = edit_ports(text, {'dashboard_config.management_port': 9166})
    assert edit.changes == [{'key': 'dashboard_config.management_port', 'before': 9164, 'after': 9166}]
    assert edit.model['notes'][0]['kind'] == 'no_listener'
    after = cp.read_control_plane(parse_plain(edit.text), edit.model, version=(4, 4, 0))
    assert after['advertised']['port'] == after['management']['port'] == 9166
    assert cp.follow_warnings('orders', plane(text, version=(4, 4, 0)), after) == []
