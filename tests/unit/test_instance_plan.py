"""The role's plan, computed in one call on the controller."""

import pytest

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.instance_plan import instance_plan
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi_ports import PortError


def test_single_instance_plan_resets_unset_aliases_and_keeps_other_keys():
    result = instance_plan([{'name': 'mi', 'home': '/opt/mi', 'offset': 3,
                             'ports': {'transport.http.listener.port': 8380, 'transport.tcp.listener.port': 8301}}])
    (entry,) = result['plan']
    assert entry['path'] == '/opt/mi/conf/deployment.toml'
    assert entry['module_ports'] == {'http': 8380, 'https': None, 'management_http': None, 'management_https': None,
                                     'transport.tcp.listener.port': 8301}
    assert {alias: item['port'] for alias, item in entry['ports'].items()} == {
        'http': 8383, 'https': 8246, 'management_http': 9194, 'management_https': 9157}
    assert result['problems'] == []
    assert [rule['port'] for rule in result['rules']] == [8383, 8246] + [9194] * 5  # monitoring: private ranges


def test_default_offset_applies_where_an_instance_sets_none():
    result = instance_plan([{'name': 'a', 'home': '/a'}, {'name': 'b', 'home': '/b', 'offset': 11}], 10)
    assert [entry['ports']['http']['port'] for entry in result['plan']] == [8290, 8291]
    assert result['problems'] == []


@pytest.mark.parametrize('instances, problem', [
    ([{'name': 'a', 'home': '/a', 'ports': {'http': 8281}}, {'name': 'b', 'home': '/b', 'offset': 11}],
     'port 8291 is used by both a http and b http'),
    ([{'name': 'a', 'home': '/a', 'ports': {'http': 12}}], 'port 22 is used by both reserved (ssh) and a http'),
    ([{'name': 'a', 'home': None}], 'instance a has no home'),
    ([{'name': 'a b', 'home': '/a'}], 'instance name a b must be letters'),
    ([{'name': 'a', 'home': '/a'}, {'name': 'a', 'home': '/b', 'offset': 11}], 'instance name a is used more than once'),
    ([{'name': 'a', 'home': '/a'}, {'name': 'b', 'home': '/a', 'offset': 11}], 'MI home /a is given for more than one'),
])
def test_problems_name_what_to_fix(instances, problem):
    problems = instance_plan(instances, 10, {22: 'ssh'})['problems']
    assert any(problem in text for text in problems), problems


def test_management_rules_follow_the_sources_of_both_families():
    rules = instance_plan([{'name': 'a', 'home': '/a'}], 10, None, ['10.0.0.0/8'], ['192.0.2.1', '2001:db8::/64'])['rules']
    assert {(r['name'], r['source']) for r in rules if r['name'] != 'management_http'} == {
        ('http', '10.0.0.0/8'), ('https', '10.0.0.0/8'),
        ('management_https', '192.0.2.1/32'), ('management_https', '2001:db8::/64')}


@pytest.mark.parametrize('instances, fragment', [
    ('mi1', 'instances must be a list'),
    (['mi1'], 'each instance must be a dict'),
    ([{'name': 'a', 'home': '/a', 'ports': {'http': 'x'}}], "transport.http.listener.port is 'x'"),
])
def test_bad_input_is_refused(instances, fragment):
    with pytest.raises(PortError) as err:
        instance_plan(instances, 10)
    assert fragment in str(err.value)


def test_bad_source_is_refused_before_any_change():
    with pytest.raises(PortError, match="'everyone' is not an IP network"):
        instance_plan([{'name': 'a', 'home': '/a'}], 10, None, None, ['everyone'])
