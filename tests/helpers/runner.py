"""Paths of the checkout and of ../shared, and modules run for real as Ansible runs them (a process
reading its args file), importing the collection from the ansible_collections tree that `make venv`
links (.build/collections)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from ansible.release import __version__ as ansible_version

REPO = Path(__file__).resolve().parents[2]
COLLECTIONS = REPO / '.build' / 'collections'
CORPUS = REPO.parent / 'shared' / 'corpus' / 'wso2-micro-integrator'
INVALID_CORPUS_FILE = 'distribution__src__resources__config-tool__deployment-full.toml'
MODULES = REPO / 'plugins' / 'modules'
FIXTURES = REPO / 'tests' / 'fixtures'
# ansible-core 2.21 returns `invocation` only when the controller asks for it; older ones always return it
# (and refuse the unknown internal argument).
INJECTS_INVOCATION = tuple(int(part) for part in ansible_version.split('.')[:2]) >= (2, 21)


SYSTEM_PYTHON = '/usr/bin/python3'


def importable(python, module):
    return os.access(python, os.X_OK) and subprocess.run(
        [python, '-c', 'import ' + module], capture_output=True, check=False).returncode == 0


def firewalld_client_only_in_the_system_python():
    """A skipif mark: the tests of the run again under the system Python need a test Python without python3-firewall's
    client and a system Python with it."""
    import pytest  # only the tests that take the mark need it
    return pytest.mark.skipif(
        importable(sys.executable, 'firewall.client') or not importable(SYSTEM_PYTHON, 'firewall.client'),
        reason='needs a test Python without firewall.client and a system Python with it '
               '(tests/install-packages.sh installs python3-firewall)')


def corpus_files():
    """Every *.toml of the MI repository corpus (empty when ../shared is not beside the repo)."""
    return sorted(CORPUS.glob('*.toml')) if CORPUS.is_dir() else []


def write_conf(tmp_path, data):
    """<tmp_path>/conf/deployment.toml holding data (text, or bytes written as they are)."""
    conf = tmp_path / 'conf'
    conf.mkdir()
    path = conf / 'deployment.toml'
    path.write_bytes(data if isinstance(data, bytes) else data.encode('utf-8'))
    return path


def run_module(name, args, check=False, diff=False, tmp_path=None, env=None, prefix=(), python=sys.executable):
    """Run plugins/modules/<name>.py as Ansible does (a process reading its args file); return its JSON.
    prefix: the command that runs it (nsenter into a namespace: helpers.namespace); python: the interpreter."""
    payload = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
    if INJECTS_INVOCATION:  # as a controller with INJECT_INVOCATION on asks (2.21+): the masking must hold there too
        payload['_ansible_inject_invocation'] = True
    args_dir = Path(tmp_path or os.environ.get('TMPDIR', '/tmp'))
    args_file = args_dir / ('.%s-args-%d.json' % (name, os.getpid()))
    args_file.write_text(json.dumps({'ANSIBLE_MODULE_ARGS': payload}))
    proc_env = dict(os.environ, PYTHONPATH=str(COLLECTIONS))
    proc_env.update(env or {})
    try:
        proc = subprocess.run(list(prefix) + [python, str(MODULES / (name + '.py')), str(args_file)],
                              capture_output=True, text=True, env=proc_env, timeout=120, check=False)
    finally:
        args_file.unlink()
    try:
        result = json.loads(proc.stdout)
    except ValueError:
        raise AssertionError('module %s printed no JSON: %s %s' % (name, proc.stdout, proc.stderr))
    result['_stderr'] = proc.stderr
    return result


def start_module(name, args, folder, tag, check=False, diff=False):
    """Start plugins/modules/<name>.py as a process without waiting (for runs that overlap); finish() reads it."""
    args_file = Path(folder) / ('.%s-args-%s.json' % (name, tag))
    args_file.write_text(json.dumps({'ANSIBLE_MODULE_ARGS': dict(args, _ansible_check_mode=check,
                                                                 _ansible_diff=diff)}))
    return subprocess.Popen([sys.executable, str(MODULES / (name + '.py')), str(args_file)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=str(COLLECTIONS)))


def finish(proc, timeout=180):
    """The JSON result of a process start_module started (it is killed if it runs past timeout)."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError('module run past %d s: %s' % (timeout, err[-2000:]))
    os.unlink(proc.args[-1])
    try:
        result = json.loads(out)
    except ValueError:
        raise AssertionError('module printed no JSON: %s %s' % (out, err))
    result['_stderr'] = err
    return result


def ansible(tmp_path, *command):
    """(rc, stdout + stderr) of an ansible command (ansible-playbook ...) of the venv, run in tmp_path with
    the collection of this checkout."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_CONFIG=str(REPO / 'ansible.cfg'),
               ANSIBLE_LOCAL_TEMP=str(Path(tmp_path) / 'local-tmp'), ANSIBLE_NOCOLOR='1')
    program = os.path.join(os.path.dirname(sys.executable), command[0])  # the venv's ansible, PATH or not
    proc = subprocess.run([program] + list(command[1:]), capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=600, check=False)
    return proc.returncode, proc.stdout + proc.stderr
