"""Overlapping runs: many module processes started at once on one file (deployment_toml) or on the files of two
instances (instances, listed in opposite orders). Every run that reports success has its edit in the file, every
other one failed with the lock message; no edit is lost, and two runs never both give one port to two instances.

Without the lock, 10-18 runs at once lost 2-8 edits in every round, and conflicting port assignments both
succeeded in 2 of 12 tries (issue 21): these tests fail on that code.
"""

import fcntl
import json
import os
import subprocess
import sys
import tomllib

import pytest

from helpers.runner import COLLECTIONS, MODULES, finish, start_module

RUNS = int(os.environ.get('CONCURRENT_RUNS', '12'))
ROUNDS = 3
TEXT = ('[server]\nhostname = "localhost"\n# offset  = 10\n\n[keystore.primary]\npassword = "s3cr3t"\n\n'
        '[wso2ops_test]\nfirst_port = 20000\n')
TEXTS = {'mi': TEXT, 'a': TEXT, 'b': TEXT.replace('# offset  = 10', 'offset = 11')}  # b: every port one up
LOCK_MESSAGE = 'another run holds the lock on '


def slot(run):
    """A key of its own for each run (a port key MI does not know: written, reported in notes)."""
    return 'wso2ops_test.slot_%02d_port' % run


def stored(path, key):
    node = tomllib.loads(path.read_text())
    for part in key.split('.'):
        node = node.get(part, {})
    return node or None


def home(tmp_path, name):
    conf = tmp_path / name / 'conf'
    conf.mkdir(parents=True)
    (conf / 'deployment.toml').write_text(TEXTS[name])
    return tmp_path / name


def check_round(results, files, value_of):
    """Every success has its value in every file, every failure is the lock's."""
    succeeded = 0
    for run, result in enumerate(results):
        if result.get('failed'):
            assert LOCK_MESSAGE in result['msg'] and result['changed'] is False, result
            continue
        succeeded += 1
        assert result['changed'] is True, result
        for path in files:
            assert stored(path, slot(run)) == value_of(run, path), (run, path.read_text())
    for path in files:
        tomllib.loads(path.read_text())
        assert sorted(os.listdir(path.parent)) == ['deployment.toml'], 'a temporary file was left'
    return succeeded


@pytest.mark.parametrize('lock_timeout', [30, 0], ids=['runs wait their turn', 'runs that find it locked give up'])
def test_overlapping_deployment_toml_runs_lose_no_edit(tmp_path, lock_timeout):
    path = home(tmp_path, 'mi') / 'conf' / 'deployment.toml'
    for round_number in range(ROUNDS):
        path.write_text(TEXT)
        procs = [start_module('deployment_toml', {'path': str(path), 'lock_timeout': lock_timeout,
                                                  'ports': {slot(run): 21000 + run}}, tmp_path, '%d-%d' % (round_number, run))
                 for run in range(RUNS)]
        results = [finish(proc) for proc in procs]
        succeeded = check_round(results, [path], lambda run, _path: 21000 + run)
        assert succeeded >= 1
        if lock_timeout:
            assert succeeded == RUNS, [r['msg'] for r in results if r.get('failed')]


def test_overlapping_instances_runs_in_opposite_orders_lose_no_edit(tmp_path):
    a, b = home(tmp_path, 'a'), home(tmp_path, 'b')
    files = [a / 'conf' / 'deployment.toml', b / 'conf' / 'deployment.toml']
    for round_number in range(ROUNDS):
        for name, path in zip('ab', files):
            path.write_text(TEXTS[name])
        procs = []
        for run in range(RUNS):
            listed = [{'name': 'a', 'home': str(a), 'ports': {slot(run): 22000 + run}},
                      {'name': 'b', 'home': str(b), 'ports': {slot(run): 23000 + run}}]
            args = {'instances': listed if run % 2 else listed[::-1], 'check_listeners': False,
                    'lock_timeout': 0 if round_number == ROUNDS - 1 else 60}
            procs.append(start_module('instances', args, tmp_path, '%d-%d' % (round_number, run)))
        results = [finish(proc) for proc in procs]
        succeeded = check_round(results, files, lambda run, path: (22000 if path == files[0] else 23000) + run)
        assert succeeded >= 1
        if round_number < ROUNDS - 1:
            assert succeeded == RUNS, [r['msg'] for r in results if r.get('failed')]


def test_conflicting_port_assignments_never_both_succeed(tmp_path):
    """Runs that each move a different instance's HTTP port to 9100: at most one may succeed, and the host
    never ends with two instances on one port."""
    a, b = home(tmp_path, 'a'), home(tmp_path, 'b')
    files = [a / 'conf' / 'deployment.toml', b / 'conf' / 'deployment.toml']
    for round_number in range(6):
        for name, path in zip('ab', files):
            path.write_text(TEXTS[name])
        procs = []
        for run in range(4):
            moved = 'ab'[run % 2]  # a: 9090 + offset 10, b: 9089 + offset 11, both 9100
            listed = [{'name': name, 'home': str(tmp_path / name),
                       'ports': {'http': 9090 if name == 'a' else 9089} if name == moved else {}} for name in 'ab']
            procs.append(start_module('instances', {'instances': listed if run < 2 else listed[::-1],
                                                    'check_listeners': False}, tmp_path, '%d-%d' % (round_number, run)))
        results = [finish(proc) for proc in procs]
        winners = set('ab'[run % 2] for run, result in enumerate(results) if not result.get('failed'))
        assert len(winners) == 1, [result.get('msg') for result in results]
        for run, result in enumerate(results):
            if result.get('failed'):
                assert 'would both listen on 9100' in result['msg'] or 'port 9100' in result['msg'], result['msg']
        moved_files = [path for path in files if stored(path, 'transport.http.listener.port') in (9089, 9090)]
        assert len(moved_files) == 1, [path.read_text() for path in files]


def test_a_held_lock_makes_runs_fail_naming_the_holder_and_a_released_one_lets_them_in(tmp_path):
    path = home(tmp_path, 'mi') / 'conf' / 'deployment.toml'
    folder = os.open(str(path.parent), os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        procs = [start_module('deployment_toml', {'path': str(path), 'ports': {slot(run): 24000 + run},
                                                  'lock_timeout': 1}, tmp_path, str(run)) for run in range(3)]
        for result in [finish(proc) for proc in procs]:
            assert result['failed'] is True and result['changed'] is False
            assert '%s%s (pid %d (' % (LOCK_MESSAGE, path.parent, os.getpid()) in result['msg'], result['msg']
            assert 'within lock_timeout 1 seconds; wait for it to finish, or raise lock_timeout' in result['msg']
        assert path.read_text() == TEXT
    finally:
        os.close(folder)
    after = finish(start_module('deployment_toml', {'path': str(path), 'ports': {slot(0): 24000},
                                                    'lock_timeout': 1}, tmp_path, 'after'))
    assert after['changed'] is True and stored(path, slot(0)) == 24000


# Runs a module with an audit hook that plays an editor which does not lock: it rewrites the file in place
# when the module creates its temporary file (in the file's folder, through its descriptor: a name
# '.deployment.toml.<random>' opened with O_CREAT), after the module read and planned, before it renames.
EDITOR = r'''
import os, runpy, sys
target, text = sys.argv[1], sys.argv[2]
done = []
def hook(event, args):
    temp = event == 'open' and isinstance(args[0], str) and isinstance(args[2], int) and args[2] & os.O_CREAT
    if temp and not done and args[0].startswith('.' + os.path.basename(target) + '.'):
        done.append(True)
        with open(target, 'w') as handle:
            handle.write(text)
sys.addaudithook(hook)
sys.argv = sys.argv[3:]
runpy.run_path(sys.argv[0], run_name='__main__')
'''


@pytest.mark.parametrize('module', ['deployment_toml', 'instances'])
def test_a_file_changed_by_a_program_that_does_not_lock_is_not_overwritten(tmp_path, module):
    path = home(tmp_path, 'mi') / 'conf' / 'deployment.toml'
    by_hand = TEXT.replace('first_port = 20000', 'first_port = 20001')
    args = ({'path': str(path), 'ports': {'http': 8281}} if module == 'deployment_toml' else
            {'instances': [{'name': 'mi', 'home': str(path.parent.parent), 'ports': {'http': 8281}}],
             'check_listeners': False})
    args_file = tmp_path / 'editor-args.json'
    args_file.write_text(json.dumps({'ANSIBLE_MODULE_ARGS': args}))
    editor = subprocess.run([sys.executable, '-c', EDITOR, str(path), by_hand, str(MODULES / (module + '.py')),
                             str(args_file)], capture_output=True, text=True, timeout=120, check=False,
                            env=dict(os.environ, PYTHONPATH=str(COLLECTIONS)))
    result = json.loads(editor.stdout)
    assert result['failed'] is True and result['changed'] is False, result
    assert 'was changed by another program while this run planned its edit' in result['msg'], result['msg']
    assert path.read_text() == by_hand and sorted(os.listdir(path.parent)) == ['deployment.toml']
