"""The host module run for real, as Ansible runs it, on MI homes in temp folders (no systemd unit here:
molecule runs it with real units)."""

import json
import os
import socket
import subprocess
import sys

from helpers.artifacts import SHIPPED, home, snapshot

CUSTOM = SHIPPED.replace('# offset  = 10\n', 'offset = 5\n') + (
    '\n[transport.http]\nlistener.port = 8281\n\n[mediation]\ninternal_https_api_port = 9155\n')


def test_apply_then_converged_then_check_mode_and_diff(tmp_path, module_runner):
    a, b = home(tmp_path, 'a', CUSTOM), home(tmp_path, 'b')
    args = {'instances': [{'name': 'a', 'home': str(a), 'offset': 7}, {'name': 'b', 'home': str(b), 'offset': 20}]}
    check = module_runner('instances', args, check=True, diff=True)
    assert check['changed'] is True and snapshot(a)[0][0] == CUSTOM.encode()
    assert '@@ -3 +3 @@\n-offset = 5\n+offset = 7\n' in check['diff']['prepared']
    assert 's3cr3t' not in json.dumps(check)
    first = module_runner('instances', args)
    assert [(r['name'], r['changed'], r['restart_needed']) for r in first['instances']] == [
        ('a', True, True), ('b', True, True)]
    assert (a / 'conf' / 'deployment.toml').read_text() == CUSTOM.replace('offset = 5', 'offset = 7')
    assert [(item['instance'], item['name'], item['port']) for item in first['listeners']][:2] == [
        ('a', 'http', 8288), ('a', 'https', 8250)]
    again = module_runner('instances', args)
    assert again['changed'] is False and [r['restart_needed'] for r in again['instances']] == [False, False]


def test_custom_ports_nobody_mentioned_are_kept(tmp_path, module_runner):
    a = home(tmp_path, 'a', CUSTOM)
    result = module_runner('instances', {'instances': [{'name': 'a', 'home': str(a), 'offset': 6}]})
    assert result['instances'][0]['changes'] == [{'key': 'server.offset', 'before': 5, 'after': 6}]
    ports = result['instances'][0]['ports']
    assert (ports['http']['port'], ports['management_https']['port']) == (8287, 9161)


def test_a_typo_in_the_second_instance_leaves_the_first_byte_identical(tmp_path, module_runner):
    a, b = home(tmp_path, 'a'), home(tmp_path, 'b')
    before = snapshot(a, b)
    result = module_runner('instances', {'instances': [{'name': 'a', 'home': str(a), 'offset': 3},
                                                       {'name': 'b', 'home': str(b), 'ports': {'htp': 8300}}]})
    assert result['failed'] is True and result['changed'] is False
    assert result['msg'] == ("nothing was changed on this host: b: unknown port alias 'htp'; known aliases: http, https, "
                             "management_http, management_https; give any other port by its dotted key such as "
                             "transport.tcp.listener.port")
    assert snapshot(a, b) == before


def test_the_same_home_through_a_symlink_and_a_trailing_slash_is_refused(tmp_path, module_runner):
    a = home(tmp_path, 'a')
    os.symlink(a, tmp_path / 'link')
    result = module_runner('instances', {'instances': [
        {'name': 'a', 'home': str(a)}, {'name': 'b', 'home': str(tmp_path / 'link') + '/'}]})
    assert result['failed'] is True
    assert 'MI home %s is given for more than one instance (a, b)' % a in result['msg']


def test_a_port_another_process_listens_on_is_refused_with_nothing_changed(tmp_path, module_runner):
    a = home(tmp_path, 'a')
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(('127.0.0.1', 0))
        holder.listen()
        port = holder.getsockname()[1]
        before = snapshot(a)
        result = module_runner('instances', {'instances': [{'name': 'a', 'home': str(a), 'ports': {'http': port - 10}}]})
    assert result['failed'] is True and snapshot(a) == before
    assert 'port %d (a http) is already in use by ' % port in result['msg'], result['msg']
    assert '(pid %d)' % os.getpid() in result['msg']


def test_the_running_jvm_of_the_instance_is_not_a_foreign_listener(tmp_path, module_runner):
    """A stand-in process started with -Dcarbon.home=<home> holds the instance's own port."""
    a = home(tmp_path, 'a')
    code = ('import socket,sys,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); '
            's.bind(("127.0.0.1", 0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(60)')
    process = subprocess.Popen([sys.executable, '-c', code, '-Dcarbon.home=%s' % a], stdout=subprocess.PIPE, text=True)
    try:
        port = int(process.stdout.readline())
        result = module_runner('instances', {'instances': [{'name': 'a', 'home': str(a), 'ports': {'http': port - 10}}]})
    finally:
        process.kill()
        process.wait()
    assert result.get('failed') is not True, result
    assert result['instances'][0]['ports']['http']['port'] == port


def test_jvm_args_and_environment_given_in_the_task(tmp_path, module_runner):
    a = home(tmp_path, 'a', SHIPPED.replace('# offset  = 10', 'offset = "$env{MI_OFFSET}"'))
    result = module_runner('instances', {'instances': [
        {'name': 'a', 'home': str(a), 'environment': {'MI_OFFSET': '2'}, 'jvm_args': ['-Xmx1g']}]})
    assert (result['instances'][0]['offset'], result['instances'][0]['offset_source']) == (2, 'env')
    contradiction = module_runner('instances', {'instances': [
        {'name': 'a', 'home': str(a), 'offset': 4, 'jvm_args': '-DportOffset=9'}]})
    assert contradiction['failed'] is True and 'MI starts with -DportOffset=9' in contradiction['msg']


def test_a_missing_file_and_an_unknown_unit_are_named(tmp_path, module_runner):
    result = module_runner('instances', {'instances': [{'name': 'a', 'home': str(tmp_path / 'nothing')}]})
    assert result['failed'] is True and 'the file does not exist' in result['msg']
