"""Reading what systemd starts a unit with, on real systemd output.

fixtures/systemd/show/*.txt are real `systemctl show` output, show/argv.service.argv.json the argv systemd
252 really started a unit's ExecStart with, and envfiles/*.systemd.json the variables systemd 252 really set
from envfiles/*.env, all captured by fixtures/systemd/capture.sh from a container of the test-host image,
systemd as PID 1 (units in fixtures/systemd/units/; run capture.sh again when a unit or a property changes).
"""

import json

import pytest

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common import systemd as systemd_unit
from helpers import runner

FIXTURES = runner.FIXTURES / 'systemd'


def show(unit):
    return systemd_unit.parse_show((FIXTURES / 'show' / (unit + '.txt')).read_text())


def test_show_argv_asks_for_every_property_read():
    argv = systemd_unit.show_argv('mi-standin@a.service')
    assert argv == ['systemctl', 'show', '--property=Id,LoadState,ActiveState,MainPID,FragmentPath,DropInPaths,'
                    'ExecStart,Environment,EnvironmentFiles,TimeoutStopUSec', '--', 'mi-standin@a.service']
    text = (FIXTURES / 'show' / 'wso2mi.service.txt').read_text()
    # The fixtures hold what systemctl printed for exactly these properties (else run capture.sh again).
    assert set(line.split('=', 1)[0] for line in text.splitlines()) == set(systemd_unit.SHOW_PROPERTIES)


@pytest.mark.parametrize('text, seconds', [
    ('1min 30s', 90), ('90', 90), ('500ms', 0.5), ('3min', 180), ('1h 2min 3s', 3723), ('infinity', None),
    ('', None), ('soon', None),
])
def test_stop_timeouts_as_systemctl_show_prints_them(text, seconds):
    assert systemd_unit.parse_timespan(text) == seconds
    assert systemd_unit.parse_show('TimeoutStopUSec=%s\n' % text)['timeout_stop'] == seconds


def test_unit_like_a_real_mi_install():
    unit = show('wso2mi.service')
    assert unit == {
        'id': 'wso2mi.service', 'load_state': 'loaded', 'active_state': 'inactive', 'main_pid': None,
        'fragment_path': '/etc/systemd/system/wso2mi.service',
        'drop_in_paths': ['/etc/systemd/system/wso2mi.service.d/10-offset.conf'],
        'exec_start': [{'path': '/opt/wso2mi/bin/micro-integrator.sh', 'ignore_errors': False,
                        'argv': ['/opt/wso2mi/bin/micro-integrator.sh', '-DportOffset=3',
                                 '--env-file=/etc/wso2mi/extra.env']}],
        # The drop-in's JAVA_OPTS replaced the unit's (systemd keeps one value per name).
        'environment': {'JAVA_HOME': '/usr/lib/jvm/java-21', 'JAVA_OPTS': '-Xmx2g -DportOffset=20 -Dtag=a b',
                        'MI_OFFSET': '7'},
        'environment_files': [{'path': '/etc/default/wso2mi', 'optional': True},
                              {'path': '/etc/wso2mi/mi.env', 'optional': False}],
        'timeout_stop': 125,  # TimeoutStopSec=2min 5s
    }


def test_running_unit_has_its_main_pid():
    unit = show('mi-standin@mi.service')
    text = (FIXTURES / 'show' / 'mi-standin@mi.service.txt').read_text()
    assert unit['active_state'] == 'active'
    assert unit['main_pid'] > 0 and ' ; pid=%d ; ' % unit['main_pid'] in text
    assert unit['exec_start'][0]['argv'] == ['/usr/bin/python3', '/opt/mi-standin/mi_standin.py', '$MI_ARGS']
    assert unit['environment'] == {'CARBON_HOME': '/opt/mi/mi', 'JAVA_OPTS': ''}


def test_unit_that_does_not_exist():
    unit = show('nosuch.service')
    assert (unit['load_state'], unit['exec_start'], unit['environment']) == ('not-found', [], {})


def test_quoted_environment_is_read_back_exactly():
    """The values busctl reported for the same unit (D-Bus, no quoting involved)."""
    assert show('quoting.service')['environment'] == {
        'A': 'one two', 'B': 'plain', 'C': 'quote"inside', 'D': 'single quoted', 'E': 'dollar$$sign',
        'F': 'back\\slash', 'G': 'tab\there', 'H': '', 'UNI': 'grüße'}


def test_exec_start_entries_and_the_limit_of_show():
    first, second, third = show('quoting.service')['exec_start']
    # systemctl joins argv with spaces, unquoted: "arg with spaces" cannot be told from 3 words.
    assert first['argv'] == ['/bin/echo', 'arg', 'with', 'spaces', 'single', 'plain', 'escaped', 'dq"inside',
                             '-Dcarbon.home=/opt/mi/a', 'b']
    assert second == {'path': '/bin/true', 'argv': ['/bin/true', 'second'], 'ignore_errors': True}
    assert third == {'path': '/bin/sleep', 'argv': ['sleep-argv0', '1'], 'ignore_errors': False}


@pytest.mark.parametrize('case', sorted(path.stem for path in (FIXTURES / 'envfiles').glob('*.env')))
def test_environment_file_reads_as_systemd_does(case):
    text = (FIXTURES / 'envfiles' / (case + '.env')).read_bytes().decode('utf-8')
    if 'crlf' in case:  # stored with "\n" (sanity's line-endings rule), read by systemd with "\r\n"
        text = text.replace('\n', '\r\n')
    expected = json.loads((FIXTURES / 'envfiles' / (case + '.systemd.json')).read_text())
    variables, _ignored = systemd_unit.parse_environment_file(text)
    assert variables == expected


def test_environment_file_names_what_systemd_drops():
    _variables, ignored = systemd_unit.parse_environment_file((FIXTURES / 'envfiles' / 'syntax.env').read_text())
    assert ignored == ['export M', '1N']


@pytest.mark.parametrize('text, expected', [
    ('A="one two"', ['A=one two']),
    ('"A=x\\"y" B=z', ['A=x"y', 'B=z']),
    ('"E=\\$\\`\\\\"', ['E=$`\\']),
    ('"T=a\\tb\\nc\\001"', ['T=a\tb\nc\x01']),
    ("$'P=posix \\x41'", ['P=posix A']),
    ('', []),
])
def test_split_quoted(text, expected):
    assert systemd_unit.split_quoted(text) == expected


def test_exec_start_expansion_gives_the_argv_systemd_started_the_process_with():
    """units/argv.service: ExecStart=/usr/bin/python3 print-argv $MI_ARGS ${MI_ARGS} ${ONE} x${ONE}y $$HOME $NOPE
    ${NOPE} a$ONE; what the process got is show/argv.service.argv.json (a whole-word $VAR splits, ${VAR} does
    not, an unset $VAR is no word, an unset ${VAR} an empty one, a$ONE stays as it is)."""
    unit = show('argv.service')
    started = json.loads((FIXTURES / 'show' / 'argv.service.argv.json').read_text())
    expanded = systemd_unit.expand_argv(unit['exec_start'][0]['argv'], unit['environment'])
    assert expanded[:2] == ['/usr/bin/python3', '/usr/local/bin/print-argv'] and expanded[2:] == started
    assert started == ['-DportOffset=4', '--env-file=/x.env', '-DportOffset=4  --env-file=/x.env', 'a b', 'xa by',
                       '$HOME', '', 'a$ONE']


def test_service_environment_layers_files_over_environment(tmp_path):
    (tmp_path / 'a.env').write_text('MI_OFFSET=3\nJAVA_OPTS=-DportOffset=4\n')
    (tmp_path / 'b.env').write_text('MI_OFFSET=5\n')
    (tmp_path / 'conf.d').mkdir()
    (tmp_path / 'conf.d' / '2.env').write_text('LAST=2\n')
    (tmp_path / 'conf.d' / '1.env').write_text('LAST=1\nFIRST=1\n')
    unit = show('wso2mi.service')
    unit['environment_files'] = [
        {'path': str(tmp_path / 'a.env'), 'optional': False}, {'path': str(tmp_path / 'missing.env'), 'optional': True},
        {'path': str(tmp_path / 'b.env'), 'optional': True}, {'path': str(tmp_path / 'conf.d' / '*.env'), 'optional': False}]
    result = systemd_unit.service_environment(unit)
    assert result['environment'] == {'JAVA_HOME': '/usr/lib/jvm/java-21', 'JAVA_OPTS': '-DportOffset=4', 'MI_OFFSET': '5',
                                     'LAST': '2', 'FIRST': '1'}
    assert result['sources'] == {'JAVA_HOME': 'Environment=', 'JAVA_OPTS': str(tmp_path / 'a.env'),
                                 'MI_OFFSET': str(tmp_path / 'b.env'), 'LAST': str(tmp_path / 'conf.d' / '2.env'),
                                 'FIRST': str(tmp_path / 'conf.d' / '1.env')}
    assert result['read_files'] == [str(tmp_path / name) for name in ('a.env', 'b.env', 'conf.d/1.env', 'conf.d/2.env')]
    assert result['problems'] == [] and result['warnings'] == []


@pytest.mark.parametrize('path, optional, problem', [
    ('missing.env', False, 'EnvironmentFile=%s/missing.env of wso2mi.service cannot be read (No such file or '
                           'directory): systemd will not start the unit'),
    ('missing.env', True, None),
    ('none-*.env', False, 'EnvironmentFile=%s/none-*.env of wso2mi.service matches no file'),
    ('none-*.env', True, None),
    ('latin1.env', False, 'latin1.env of wso2mi.service cannot be read'),
    ('.', False, 'cannot be read (the path is a directory; give the path of the file itself)'),
])
def test_a_missing_mandatory_environment_file_is_a_problem(tmp_path, path, optional, problem):
    (tmp_path / 'latin1.env').write_bytes(b'A=\xe9\n')
    unit = show('wso2mi.service')
    unit['environment_files'] = [{'path': str(tmp_path / path), 'optional': optional}]
    problems = systemd_unit.service_environment(unit)['problems']
    if problem is None:
        assert problems == []
    else:
        assert len(problems) == 1 and (problem % tmp_path if '%s' in problem else problem) in problems[0], problems
