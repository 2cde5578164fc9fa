"""A stock host: its Python cannot import tomlkit. Check mode plans and reports, a real run that must write
into existing tables stops naming the library and the interpreter, and nothing is written. The modules run
through ansible (AnsiballZ) with a real virtualenv made without pip and without the system site-packages,
so tomlkit is really missing there, not hidden."""

import json
import os
import subprocess
import sys
import venv

import pytest

from helpers.runner import COLLECTIONS, REPO, write_conf

TEXT = ('[server]\nhostname = "localhost"\noffset = 3\n\n[keystore.primary]\npassword = "wso2carbon"\n\n'
        '[transport.http]\nlistener.port = "8280"   # pass-through\n')


@pytest.fixture(scope='module')
def bare_python(tmp_path_factory):
    folder = tmp_path_factory.mktemp('bare') / 'venv'
    venv.EnvBuilder(with_pip=False).create(folder)
    python = folder / 'bin' / 'python'
    probe = subprocess.run([str(python), '-c', 'import tomlkit'], capture_output=True, check=False)
    assert probe.returncode != 0, 'the bare virtualenv imports tomlkit'
    return python


def run_adhoc(python, module, args, check=False):
    """One module run through ansible on localhost with `python` as the interpreter; its JSON result."""
    argv = [os.path.join(os.path.dirname(sys.executable), 'ansible'), 'localhost', '-m', module, '-a', json.dumps(args),
            '-e', 'ansible_python_interpreter=%s' % python, '--diff'] + (['--check'] if check else [])
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False, env=dict(
        os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_CONFIG=str(REPO / 'ansible.cfg'),
        ANSIBLE_LOAD_CALLBACK_PLUGINS='1', ANSIBLE_STDOUT_CALLBACK='minimal', ANSIBLE_CALLBACK_RESULT_FORMAT='json'))
    # The minimal callback of every supported ansible-core (the json callback is not in ansible-core 2.16) prints
    # the diff, then `localhost | STATUS => {json}`; the diff and the status go back into the result.
    diff, sep, rest = proc.stdout.partition('localhost | ')
    assert sep, proc.stdout + proc.stderr
    status, _arrow, result = rest.partition(' => ')
    return dict(json.loads(result), failed=status.startswith('FAILED'), diff={'prepared': diff})


def test_check_mode_plans_without_tomlkit(tmp_path, bare_python):
    conf = write_conf(tmp_path, TEXT)
    args = {'instances': [{'name': 'mi', 'home': str(tmp_path), 'offset': 13, 'ports': {'http': 8281}}]}
    result = run_adhoc(bare_python, 'wso2ops.micro_integrator.instances', args, check=True)
    assert not result.get('failed'), result
    assert result['changed'] is True and conf.read_text() == TEXT
    (instance,) = result['instances']
    assert instance['changes'] == [{'key': 'transport.http.listener.port', 'before': '8280', 'after': '8281'},
                                   {'key': 'server.offset', 'before': 3, 'after': 13}]
    assert instance['ports']['http']['port'] == 8294 and instance['restart_needed'] is True
    assert instance['moved']['http'] == [8283, 8294]
    assert result['plan'][0] == instance['plan'] and 'http 8294 (was 8283)' in instance['plan']
    assert result['plan'][1].startswith('the real run (mi) needs the Python library tomlkit, which the interpreter %s '
                                        'cannot import' % bare_python)
    # What the real run will need, and for which interpreter: the virtualenv, so pip into it.
    assert (result['missing_library'], result['python'], result['python_venv']) == (
        'tomlkit', str(bare_python), str(bare_python.parent.parent))
    diff = result['diff']['prepared']
    assert '+transport.http.listener.port = "8281"' in diff and '-server.offset = 3' in diff and '+server.offset = 13' in diff
    assert 'wso2carbon' not in json.dumps(result)


def test_a_real_run_that_needs_tomlkit_stops_naming_library_and_interpreter(tmp_path, bare_python):
    conf = write_conf(tmp_path, TEXT)
    args = {'instances': [{'name': 'mi', 'home': str(tmp_path), 'offset': 13}]}
    result = run_adhoc(bare_python, 'wso2ops.micro_integrator.instances', args)
    assert result['failed'] is True and result['changed'] is False
    assert (result['missing_library'], result['missing_package'], result['python']) == (
        'tomlkit', 'python3-tomlkit', str(bare_python))
    assert result['msg'].startswith('writing the port keys into the existing tables of deployment.toml (mi) needs the '
                                    'Python library tomlkit, which the interpreter %s cannot import' % bare_python)
    assert '%s -m pip install tomlkit' % bare_python in result['msg']
    assert conf.read_text() == TEXT


def test_without_tomlkit_what_needs_no_tomlkit_still_runs(tmp_path, bare_python):
    """A converged run and an edit that only adds a table need no tomlkit: no failure, no missing_library."""
    conf = write_conf(tmp_path, TEXT)
    converged = run_adhoc(bare_python, 'wso2ops.micro_integrator.instances',
                          {'instances': [{'name': 'mi', 'home': str(tmp_path), 'offset': 3}]})
    assert converged['changed'] is False and 'missing_library' not in converged, converged
    added = run_adhoc(bare_python, 'wso2ops.micro_integrator.instances',
                      {'instances': [{'name': 'mi', 'home': str(tmp_path), 'ports': {'management_https': 9155}}]})
    assert added['changed'] is True and 'missing_library' not in added, added
    assert conf.read_text() == TEXT + '\n[mediation]\ninternal_https_api_port = 9155\n'


def test_deployment_toml_check_mode_without_tomlkit(tmp_path, bare_python):
    conf = write_conf(tmp_path, TEXT)
    result = run_adhoc(bare_python, 'wso2ops.micro_integrator.deployment_toml', {'path': str(conf), 'offset': 5},
                       check=True)
    assert not result.get('failed'), result
    assert result['changed'] is True and result['changes'] == [{'key': 'server.offset', 'before': 3, 'after': 5}]
    assert '+server.offset = 5' in result['diff']['prepared'] and conf.read_text() == TEXT
