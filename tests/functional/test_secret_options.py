"""Secrets given to the modules rather than stored in the file: an environment variable (DB_PASSWORD), a JVM
argument (-Ddb.password=...), and a port placeholder that resolves to one of them. A canary value in each must be
absent from the module's stdout (the JSON with `invocation`), from --diff, from error messages and warnings, and
from an `ansible-playbook -vvv --diff` log, while the ports they decide are still returned.
"""

import json

from helpers.runner import ansible, run_module

ENV_CANARY = 'Canary-env-3b1f9c27'
JVM_CANARY = 'Canary-jvm-8d02e4aa'
TEXT = ('[server]\nhostname = "localhost"\noffset = "$env{MI_OFFSET}"\n\n'
        '[transport.http]\nlistener.port = "$env{MI_HTTP_PORT}"\n')
# A port placeholder that resolves to a secret: a mistake MI refuses, whose message must not print the value.
WRONG = TEXT + '\n[mediation]\ninternal_http_api_port = "$env{DB_PASSWORD}"\ninternal_https_api_port = "$sys{db.password}"\n'
ENVIRONMENT = {'DB_PASSWORD': ENV_CANARY, 'MI_OFFSET': '3', 'MI_HTTP_PORT': '8380'}
JVM_ARGS = ['-Xmx1g', '-Ddb.password=%s' % JVM_CANARY]


def conf(tmp_path, name, text):
    folder = tmp_path / name / 'conf'
    folder.mkdir(parents=True)
    (folder / 'deployment.toml').write_text(text)
    return tmp_path / name


def assert_no_canary(output):
    flat = json.dumps(output) if not isinstance(output, str) else output
    assert ENV_CANARY not in flat and JVM_CANARY not in flat and 'Canary' not in flat, flat[:3000]


def test_instances_output_and_diff_hold_no_canary_and_the_ports(tmp_path):
    home = conf(tmp_path, 'mi', TEXT)
    args = {'instances': [{'name': 'mi', 'home': str(home), 'environment': ENVIRONMENT, 'jvm_args': JVM_ARGS,
                           'ports': {'https': 8250}}], 'check_listeners': False}
    for check in (True, False):
        result = run_module('instances', args, check=check, diff=True)
        assert result['changed'] is True, result
        assert_no_canary(result)
        instance = result['invocation']['module_args']['instances'][0]  # masked value by value; ports stay
        assert instance['environment'] == dict(ENVIRONMENT, DB_PASSWORD='VALUE_SPECIFIED_IN_NO_LOG_PARAMETER')
        assert instance['jvm_args'] == ['VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'] * 2
        entry = result['instances'][0]
        assert (entry['offset'], entry['ports']['http']['port'], entry['ports']['https']['port']) == (3, 8383, 8253)
        assert '+listener.secured_port = 8250' in result['diff']['prepared']


def test_a_placeholder_resolving_to_a_secret_is_named_never_printed(tmp_path):
    home = conf(tmp_path, 'mi', WRONG)
    result = run_module('instances', {'instances': [{'name': 'mi', 'home': str(home), 'environment': ENVIRONMENT,
                                                     'jvm_args': JVM_ARGS}], 'check_listeners': False}, diff=True)
    assert result['failed'] is True, result
    assert_no_canary(result)
    assert ("mediation.internal_http_api_port is '$env{DB_PASSWORD}': the value of environment variable "
            "DB_PASSWORD is not a port from 1 to 65535 (not shown: it may be a secret)") in result['msg']
    assert "'$sys{db.password}': the value of JVM argument -Ddb.password is not a port" in result['msg']
    info = run_module('deployment_toml_info', {'path': str(home / 'conf' / 'deployment.toml'),
                                               'environment': ENVIRONMENT, 'jvm_args': JVM_ARGS})
    assert_no_canary(info)
    assert 'DB_PASSWORD is not a port' in json.dumps(info['warnings'])  # the warning shown without -v
    assert info['ports']['http']['port'] == 8383


def test_audit_info_holds_no_canary(tmp_path):
    home = conf(tmp_path, 'mi', WRONG)
    result = run_module('audit_info', {'instances': [{'name': 'mi', 'home': str(home), 'environment': ENVIRONMENT,
                                                      'jvm_args': JVM_ARGS}], 'discover': False})
    assert_no_canary(result)
    assert result['invocation']['module_args']['instances'][0]['environment']['DB_PASSWORD'] == \
        'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'


PLAYBOOK = '''
- name: Options that carry secrets
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Apply, with a diff
      wso2ops.micro_integrator.instances:
        instances:
          - {name: mi, home: "%(good)s", environment: %(env)s, jvm_args: %(jvm)s, ports: {https: 8250}}
        check_listeners: false
      diff: true
      register: applied
    - name: A placeholder that resolves to a secret
      wso2ops.micro_integrator.instances:
        instances:
          - {name: mi, home: "%(wrong)s", environment: %(env)s, jvm_args: %(jvm)s}
        check_listeners: false
      diff: true
      failed_when: false
    - name: Read with the same options
      wso2ops.micro_integrator.deployment_toml_info:
        path: "%(wrong)s/conf/deployment.toml"
        environment: %(env)s
        jvm_args: %(jvm)s
    - name: The ports are still there
      ansible.builtin.assert:
        that: applied.instances[0].ports.http.port == 8383
'''


def test_vvv_log_holds_no_canary(tmp_path):
    good, wrong = conf(tmp_path, 'good', TEXT), conf(tmp_path, 'wrong', WRONG)
    (tmp_path / 'play.yml').write_text(PLAYBOOK % {'good': good, 'wrong': wrong, 'env': json.dumps(ENVIRONMENT),
                                                   'jvm': json.dumps(JVM_ARGS)})
    rc, log = ansible(tmp_path, 'ansible-playbook', '-vvv', '--diff', 'play.yml')
    assert rc == 0, log[-3000:]
    assert 'DB_PASSWORD is not a port' in log and 'listener.secured_port = 8250' in log  # the runs ran
    assert_no_canary(log)


def test_the_canary_check_finds_a_printed_canary(tmp_path):
    """Control: a task that does print the option shows the canary in the same kind of log."""
    rc, log = ansible(tmp_path, 'ansible', 'localhost', '-vvv', '-m', 'ansible.builtin.debug', '-a',
                      'msg=%s' % ENV_CANARY)
    assert rc == 0 and ENV_CANARY in log


def test_the_environment_of_a_running_mi_holds_no_canary_in_the_output(tmp_path):
    """Without a unit, the instances module reads what the running MI (the stand-in, a real process) started
    with from /proc: its environment and JVM arguments, canaries included. None of it is returned."""
    from helpers.standin_process import StandIn, free_ports, write_home
    http, https, internal, internal_tls = free_ports(4)
    home = write_home(tmp_path / 'mi', (
        '[server]\noffset = "$env{MI_OFFSET}"\n[transport.http]\nlistener.port = %d\nlistener.secured_port = %d\n'
        '[mediation]\ninternal_http_api_port = %d\ninternal_https_api_port = %d\n')
        % (http - 5, https - 5, internal - 5, internal_tls - 5))
    with StandIn(home, ['-Ddb.password=%s' % JVM_CANARY],
                 env={'MI_OFFSET': '5', 'DB_PASSWORD': ENV_CANARY, 'JAVA_OPTS': '-Xmx64m'}):
        result = run_module('instances', {'instances': [{'name': 'mi', 'home': str(home)}]}, diff=True)
    assert result.get('failed') is not True, result
    entry = result['instances'][0]  # MI_OFFSET is only in the running process's environment: it was read
    assert entry['offset'] == 5 and entry['offset_source'] == 'env' and entry['ports']['http']['port'] == http
    assert_no_canary(result)
