"""What MI starts with: real `systemctl show` output (fixtures/systemd, see capture.sh), real env
files in tmp_path, MI's --env-file format checked against real dash/bash/xargs, and a real
running MI stand-in read through /proc."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi import startup as mi_startup
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common import systemd as systemd_unit
from helpers import runner
from helpers.standin_process import StandIn, free_ports, write_home

FIXTURES = runner.FIXTURES / 'systemd'

# The loop of MI's export_env_file (bin/micro-integrator.sh) around the real read, xargs and
# export of the shell under test; prints the environment afterwards, NUL-separated.
SCRIPT_LOOP = '''
while IFS='=' read -r key value; do
  case "$key" in \\#*|"") continue ;; esac
  key=$(echo "$key" | xargs)
  value=$(echo "$value" | xargs)
  export "$key=$value"
done < "$1"
env -0
'''


def unit(name):
    return systemd_unit.parse_show((FIXTURES / 'show' / (name + '.txt')).read_text())


def shell_result(shell, path):
    """(exit code, {variables the loop exported}) under a real shell."""
    base = {'PATH': os.environ['PATH'], 'LC_ALL': 'C.UTF-8'}
    proc = subprocess.run([shell, '-c', SCRIPT_LOOP, 'sh', str(path)], capture_output=True, env=base,
                          timeout=30, check=False)
    env = dict(item.split('=', 1) for item in proc.stdout.decode().split('\0') if '=' in item)
    return proc.returncode, dict((k, v) for k, v in env.items() if k not in base and k not in ('PWD', 'SHLVL', '_'))


ENV_FILE_CASES = [
    'A=1\nB = two  words \n',
    'A="q u"\nB=\'single\'\n',
    "F=it's\nG=after\n",
    'G=a \t  b\n',
    'H=1\nLAST=no newline',
    'A=b=\nB=b==\nC==c\nD=\n',
    'E=-n\nF=-e x\n',
    'CRLF=1\r\nNEXT=2\r\n',
    '=x\nK=v\n',
    '# comment\n#X=1\nY=2\n',
    '  #D=y\nZ=1\n',
    ' =x\nZ=1\n',
    'MI-OFFSET=4\nZ=1\n',
    'A=x\\ y\n',
]


@pytest.mark.parametrize('text', ENV_FILE_CASES)
@pytest.mark.parametrize('shell', ['dash', 'bash'])
def test_env_file_reads_as_mis_script_under_a_real_shell(tmp_path, shell, text):
    if not shutil.which(shell):
        pytest.skip('%s is not installed' % shell)
    path = tmp_path / 'mi.env'
    path.write_bytes(text.encode())
    code, exported = shell_result(shell, path)
    variables, problems, _warnings = mi_startup.parse_env_file(text)
    if shell == 'dash' and code != 0:
        assert problems, 'dash stopped (%d) but no problem was reported' % code
    else:
        assert code == 0 and exported == variables


@pytest.mark.parametrize('text, variables, problem, warning', [
    ('A=1\nB = two  words \n', {'A': '1', 'B': 'two words'}, None, None),
    ("F=it's\n", {'F': ''}, None, 'line 1: unmatched quote'),
    ('H=1\nLAST=x', {'H': '1'}, None, "the last line (line 2) has no newline"),
    ('MI-OFFSET=4\n', {}, "line 1: 'MI-OFFSET' is not a variable name", None),
    ('CRLF=1\r\n', {'CRLF': '1\r'}, None, 'ends in a carriage return'),
    ('A=a\\tb\n', {'A': 'atb'}, None, 'a backslash is read differently by dash and bash'),
])
def test_env_file_problems_and_warnings(text, variables, problem, warning):
    found, problems, warnings = mi_startup.parse_env_file(text)
    assert found == variables
    assert [p for p in problems if problem in p] if problem else problems == []
    assert [w for w in warnings if warning in w] if warning else warnings == []


@pytest.fixture
def host(tmp_path):
    """A read_text that serves absolute host paths from tmp_path (real files, real reads)."""
    def put(path, text):
        target = tmp_path / path.lstrip('/')
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)

    def read_text(path):
        with open(str(tmp_path / path.lstrip('/')), 'rb') as handle:
            return handle.read().decode('utf-8')
    return put, read_text


def test_script_unit_env_files_java_opts_and_arguments(host):
    put, read_text = host
    put('/etc/wso2mi/mi.env', 'MI_OFFSET=8\n')
    put('/etc/wso2mi/extra.env', 'JAVA_OPTS=-DportOffset=30 -Dx=1\nMI_HOST=a\n')
    result = mi_startup.startup(unit('wso2mi.service'), read_text)
    assert result['launcher'] == 'script' and result['carbon_home'] == '/opt/wso2mi'
    assert result['read_files'] == ['/etc/wso2mi/mi.env', '/etc/wso2mi/extra.env']
    assert result['environment']['MI_OFFSET'] == '8' and result['environment']['MI_HOST'] == 'a'
    assert result['environment_sources']['MI_OFFSET'] == '/etc/wso2mi/mi.env'
    assert result['environment_sources']['JAVA_OPTS'] == '--env-file=/etc/wso2mi/extra.env'
    assert result['jvm_args'] == ['-DportOffset=30', '-Dx=1', '-Djava.net.preferIPv4Stack=true',
                                  '-Dproperties.file.path=default', '-DenableReadinessProbe=true', '-DenableLivenessProbe=true',
                                  '-DenableManagementApi=true', '-Dcarbon.home=/opt/wso2mi', '-DportOffset=3']
    # The script's argument is set after the JVM started: it beats JAVA_OPTS.
    assert result['system_properties']['portOffset'] == '3'
    assert result['property_sources']['portOffset'] == 'ExecStart argument'
    assert result['system_properties']['x'] == '1'
    assert result['property_sources']['x'] == 'JAVA_OPTS (--env-file=/etc/wso2mi/extra.env)'
    assert result['problems'] == [] and result['warnings'] == []
    assert (result['unit'], result['active'], result['main_pid']) == ('wso2mi.service', False, None)


def test_missing_env_files(host):
    put, read_text = host
    put('/etc/wso2mi/mi.env', 'MI_OFFSET=8\n')
    result = mi_startup.startup(unit('wso2mi.service'), read_text)
    # --env-file missing: the script goes on without it; JAVA_OPTS is the drop-in's, split at blanks.
    assert result['problems'] == ['--env-file=/etc/wso2mi/extra.env cannot be read (No such file or directory): '
                                  'MI starts without its variables']
    assert result['property_sources']['tag'] == 'JAVA_OPTS (Environment=)'
    assert result['system_properties']['tag'] == 'a'
    assert '-DportOffset=20' in result['jvm_args'] and result['system_properties']['portOffset'] == '3'
    # A mandatory EnvironmentFile missing: systemd does not start the unit.
    result = mi_startup.startup(unit('wso2mi.service'), lambda path: read_text('/nothing'))
    assert any('EnvironmentFile=/etc/wso2mi/mi.env of wso2mi.service cannot be read' in p for p in result['problems'])


def test_java_unit_expands_variables_and_splits_at_the_main_class():
    result = mi_startup.startup(unit('java.service'))
    assert result['launcher'] == 'java' and result['carbon_home'] == '/opt/wso2mi'
    assert result['argv'][-3:] == [mi_startup.BOOTSTRAP_CLASS, '-DportOffset=4', '-Desb.debug=true']
    assert result['jvm_args'] == ['-DportOffset=1', '-Dcarbon.home=/opt/wso2mi', '-DportOffset=2',
                                  '-DportOffset=4', '-Desb.debug=true']
    assert result['system_properties']['portOffset'] == '4'
    assert result['property_sources'] == {'portOffset': 'ExecStart argument', 'carbon.home': 'ExecStart',
                                          'esb.debug': 'ExecStart argument'}


def test_standin_unit_reads_like_mis_script(host):
    put, read_text = host
    put('/etc/default/mi-standin-mi', 'JAVA_OPTS=-Xmx512m -DportOffset=7\nMI_ARGS=--env-file=/etc/mi-capture.env '
                                      '-Dmi.tag=capture\n')
    put('/etc/mi-capture.env', 'MI_OFFSET=7\n')
    result = mi_startup.startup(unit('mi-standin@mi.service'), read_text)
    assert result['argv'] == ['/usr/bin/python3', '/opt/mi-standin/mi_standin.py', '--env-file=/etc/mi-capture.env',
                              '-Dmi.tag=capture']
    assert result['active'] and result['main_pid'] > 0
    assert result['carbon_home'] == '/opt/mi/mi'
    assert result['environment_sources']['MI_OFFSET'] == '--env-file=/etc/mi-capture.env'
    assert result['system_properties']['portOffset'] == '7'
    assert result['property_sources']['portOffset'] == 'JAVA_OPTS (/etc/default/mi-standin-mi)'
    assert result['system_properties']['mi.tag'] == 'capture'
    assert result['read_files'] == ['/etc/default/mi-standin-mi', '/etc/mi-capture.env']


def test_unit_not_found_and_several_commands():
    result = mi_startup.startup(unit('nosuch.service'))
    assert result['problems'] == ['unit nosuch.service is not loaded (LoadState=not-found): check the service name']
    result = mi_startup.startup(unit('quoting.service'), lambda path: 'X=1\n')
    assert result['warnings'] == ['unit quoting.service has 3 ExecStart commands: the last one is read']


@pytest.mark.parametrize('args, properties, debug_port, problem', [
    (['--debug', '5005', '-DportOffset=3'], {'portOffset': '3'}, 5005, None),   # JAVA_OPTS dropped
    (['--debug'], {}, None, "--debug needs a port after it (got None): MI's script stops"),
    (['-Dflag', 'start'], {'flag': 'true', 'portOffset': '20'}, None, None),     # a bare -D argument is "true"
])
def test_script_debug_and_bare_arguments(host, args, properties, debug_port, problem):
    put, read_text = host
    put('/etc/wso2mi/mi.env', '')
    put('/etc/wso2mi/extra.env', '')
    parsed = unit('wso2mi.service')
    parsed['exec_start'][0]['argv'] = parsed['exec_start'][0]['argv'][:1] + args
    result = mi_startup.startup(parsed, read_text)
    for name, value in properties.items():
        assert result['system_properties'][name] == value
    if 'portOffset' not in properties:
        assert 'portOffset' not in result['system_properties']
    assert result['debug_port'] == debug_port
    assert result['problems'] == ([problem] if problem else [])


def test_shell_command_line_is_read_with_a_warning(host):
    parsed = unit('wso2mi.service')
    parsed['environment_files'] = []
    parsed['exec_start'][0].update(path='/bin/sh', argv=['/bin/sh', '-c', 'exec', '/opt/wso2mi/bin/micro-integrator.sh',
                                                         '-DportOffset=6'])
    result = mi_startup.startup(parsed)
    assert result['system_properties']['portOffset'] == '6'
    assert result['warnings'] == ["unit wso2mi.service runs a shell command line (-c): its words are read as if they "
                                  "were the arguments of MI's script"]


@pytest.mark.parametrize('argv, options, arguments', [
    (['/usr/bin/java', '-Xmx1g', '-cp', 'a:b', '--add-opens', 'x/y=ALL', '-Da=1', 'com.Main', '-Db=2'],
     ['-Xmx1g', '-cp', 'a:b', '--add-opens', 'x/y=ALL', '-Da=1'], ['-Db=2']),
    (['java', '-Da=1', '-jar', 'mi.jar', '-Db=2'], ['-Da=1'], ['-Db=2']),
    (['java', '--module-path=m', '-m', 'mod/cls', '-Db=2'], ['--module-path=m'], ['-Db=2']),
    (['java', '-Da=1'], ['-Da=1'], []),
    (['python3', 'x.py', '--jvm', '-Da=1', mi_startup.BOOTSTRAP_CLASS, '-Db=2'], ['x.py', '--jvm', '-Da=1'], ['-Db=2']),
    (['/opt/mi/bin/wrapper', '-Db=2'], [], ['-Db=2']),
])
def test_split_jvm_argv(argv, options, arguments):
    assert mi_startup.split_jvm_argv(argv) == (options, arguments)


def test_resolve_properties_bare_values_differ_for_jvm_options_and_arguments():
    properties, sources, jvm_args = mi_startup.resolve_properties(
        [('-Da', 'JAVA_OPTS'), ('-Db=1', 'JAVA_OPTS'), ('-D', 'JAVA_OPTS'), ('-Xmx1g', 'JAVA_OPTS')],
        [('-Dc', 'argument'), ('-Db=2', 'argument')])
    assert properties == {'a': '', 'b': '2', 'c': 'true'}
    assert sources == {'a': 'JAVA_OPTS', 'b': 'argument', 'c': 'argument'}
    assert jvm_args == ['-Da', '-Db=1', '-Dc', '-Db=2']


def test_running_standin_read_from_proc_agrees_with_what_it_computed(tmp_path):
    """The stand-in computes its own offset; the reader, given only /proc, must find the same."""
    ports = free_ports(4)
    home = write_home(tmp_path / 'mi1', (
        '[transport.http]\nlistener.port = %d\nlistener.secured_port = %d\n'
        '[mediation]\ninternal_http_api_port = %d\ninternal_https_api_port = %d\n') % tuple(p - 6 for p in ports))
    (tmp_path / 'mi.env').write_text('JAVA_TOOL_OPTIONS=-DportOffset=2\n')
    env = {'JAVA_OPTS': '-Xmx64m -DportOffset=4'}
    with StandIn(home, ['--env-file=%s' % (tmp_path / 'mi.env'), '-DportOffset=6'], env) as standin:
        argv = Path('/proc/%d/cmdline' % standin.pid).read_bytes().decode().split('\0')[:-1]
        environ = dict(item.split('=', 1) for item in
                       Path('/proc/%d/environ' % standin.pid).read_bytes().decode().split('\0') if '=' in item)
        result = mi_startup.process_startup(argv, environ)
        assert ' offset=6 ' in standin.output
    assert result['system_properties']['portOffset'] == '6'
    assert result['property_sources']['portOffset'] == 'argument'
    assert result['jvm_args'][:2] == ['-DportOffset=2', '-DportOffset=4']  # JAVA_TOOL_OPTIONS, then JAVA_OPTS
    assert result['carbon_home'] == str(home)
