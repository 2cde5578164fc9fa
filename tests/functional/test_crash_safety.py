"""Crash safety: the module is killed with SIGKILL while it edits a large file, many times, at random
moments and at each of its file operations; the file is always the complete old or the complete new
content. Concurrent runs on one file never expose a partial file and end with a valid one. A run killed
while it holds the lock never blocks the next one.

The number of random kills is CRASH_RUNS (default 200); the work is spread over two workers, each on
its own file, because the machine has two cores.
"""

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor

from helpers.runner import COLLECTIONS, MODULES, run_module

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.toml.engine import edit_ports

RUNS = int(os.environ.get('CRASH_RUNS', '200'))
WORKERS = 2
HEAD = ('[server]\nhostname = "localhost"\n# offset  = 10\n\n'
        '[keystore.primary]\npassword = "wso2carbon"\nkey_password = "wso2carbon"\n\n'
        '[transport.http]\nlistener.port = 8280\n\n')
# About 88 kB (20 times a shipped deployment.toml) of datasources and comments after the port key.
LARGE = HEAD + ''.join('# datasource %d\n[datasource_%d]\nurl = "jdbc:mysql://db%d.example:3306/mi"\n'
                       'username = "mi"\npool_size = %d\n\n' % (n, n, n, n) for n in range(800))
OLD = LARGE.encode('utf-8')
NEW = edit_ports(LARGE, {'http': 8281}).text.encode('utf-8')
ENV = dict(os.environ, PYTHONPATH=str(COLLECTIONS))


def args_file(folder, path, port):
    name = os.path.join(os.path.dirname(folder), os.path.basename(folder) + '-args-%d.json' % port)
    with open(name, 'w') as handle:
        json.dump({'ANSIBLE_MODULE_ARGS': {'path': path, 'ports': {'http': port}}}, handle)
    return name


def spawn(folder, path, port, prefix=()):
    command = list(prefix) or [sys.executable]
    return subprocess.Popen(command + [str(MODULES / 'deployment_toml.py'), args_file(folder, path, port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)


def check_and_clean(path):
    """The file is OLD or NEW exactly and parses; a killed run may leave only its hidden temp file."""
    data = open(path, 'rb').read()
    assert data in (OLD, NEW), 'partial or foreign content after a kill (%d bytes)' % len(data)
    tomllib.loads(data.decode('utf-8'))
    folder = os.path.dirname(path)
    leftovers = [name for name in os.listdir(folder) if name != 'deployment.toml']
    assert all(name.startswith('.deployment.toml.') for name in leftovers), leftovers
    for name in leftovers:
        os.unlink(os.path.join(folder, name))
    return data, len(leftovers)


def full_run_seconds(folder, path):
    """Wall time of complete runs (OLD -> NEW -> OLD), which also proves the two contents."""
    times = []
    for port, expected in ((8281, NEW), (8280, OLD), (8281, NEW), (8280, OLD)):
        started = time.monotonic()
        assert spawn(folder, path, port).wait(timeout=120) == 0
        times.append(time.monotonic() - started)
        assert open(path, 'rb').read() == expected
    return sorted(times)[len(times) // 2]


def kill_loop(folder, runs, seed):
    """Kill runs at random moments: half over the whole run, half near its end, where the write is."""
    rng = random.Random(seed)
    path = os.path.join(folder, 'deployment.toml')
    with open(path, 'wb') as handle:
        handle.write(OLD)
    span = full_run_seconds(folder, path)
    outcomes = {'old': 0, 'new': 0, 'temp file left': 0, 'seconds per complete run': round(span, 2)}
    for run in range(runs):
        current = open(path, 'rb').read()
        proc = spawn(folder, path, 8281 if current == OLD else 8280)
        delay = rng.uniform(0, 1.2 * span) if run % 2 else rng.uniform(0.6 * span, 1.1 * span)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=120)
        data, leftovers = check_and_clean(path)
        outcomes['old' if data == current else 'new'] += 1
        outcomes['temp file left'] += leftovers
    return outcomes


def test_sigkill_at_random_moments_leaves_old_or_new_content(tmp_path):
    folders = []
    for worker in range(WORKERS):
        folders.append(str(tmp_path / ('w%d' % worker)))
        os.mkdir(folders[-1])
    seed = int(os.environ.get('CRASH_SEED', time.time()))
    with ThreadPoolExecutor(WORKERS) as pool:
        results = list(pool.map(kill_loop, folders, [RUNS // WORKERS] * WORKERS, [seed + n for n in range(WORKERS)]))
    total = dict((key, sum(r[key] for r in results)) for key in ('old', 'new', 'temp file left'))
    total['seconds per complete run'] = [r['seconds per complete run'] for r in results]
    print('SIGKILL outcomes over %d runs (seed %d): %s' % (RUNS, seed, total))
    assert total['old'] + total['new'] == RUNS // WORKERS * WORKERS
    # The kills must have landed both before and after the rename, or the test proved nothing.
    assert total['old'] > 0 and total['new'] > 0, total


# Runs the real module under an audit hook that counts its file operations on the edited folder and
# kills the process with SIGKILL just before operation number KILL_AT, or with KILL_AT -1 right after
# the rename returns (0: only log the operations). The hook only observes; the module code is unchanged.
# The module works through the folder's descriptor: an operation names the file or its temporary file
# ('.deployment.toml.<random>') relative to it, or a path under the folder.
KILLER = r'''
import os, runpy, signal, sys
folder, kill_at, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
count = [0]
def ours(arg):
    name = os.fsdecode(arg) if isinstance(arg, (str, bytes)) else ''
    return name.startswith(folder) or name.startswith(('deployment.toml', '.deployment.toml.'))
def kill(*_args):
    os.kill(os.getpid(), signal.SIGKILL)
def after_hook(frame, event, arg):
    if frame.f_code is not hook.__code__:  # the first event once the hook has returned and rename ran
        kill()
def hook(event, args):
    if event in ('open', 'os.rename', 'os.replace', 'os.remove', 'os.chmod', 'os.chown', 'os.utime',
                 'os.truncate', 'shutil.copyfile', 'shutil.copymode', 'shutil.copystat', 'os.link', 'os.symlink') \
            and any(ours(a) for a in args):
        count[0] += 1
        with open(log, 'a') as handle:
            handle.write('%d %s %r\n' % (count[0], event, args[:2]))
        if count[0] == kill_at:
            kill()
        if kill_at == -1 and event == 'os.rename':
            sys.setprofile(after_hook)
sys.addaudithook(hook)
sys.argv = sys.argv[4:]
runpy.run_path(sys.argv[0], run_name='__main__')
'''


def test_sigkill_at_each_file_operation_leaves_old_or_new_content(tmp_path):
    folder = str(tmp_path / 'conf')
    os.mkdir(folder)
    path = os.path.join(folder, 'deployment.toml')
    log = str(tmp_path / 'operations.log')  # outside the folder, like the args files
    with open(path, 'wb') as handle:
        handle.write(OLD)

    def killer(kill_at):
        return [sys.executable, '-c', KILLER, folder + os.sep, str(kill_at), log]

    assert spawn(folder, path, 8281, prefix=killer(0)).wait(timeout=120) == 0
    operations = open(log).read().splitlines()
    assert open(path, 'rb').read() == NEW and any(' os.rename ' in op for op in operations), operations
    assert ' os.rename ' in operations[-1], 'the rename is the last operation on the folder'
    outcomes = []
    for kill_at in list(range(1, len(operations) + 1)) + [-1]:
        current = open(path, 'rb').read()
        proc = spawn(folder, path, 8281 if current == OLD else 8280, prefix=killer(kill_at))
        assert proc.wait(timeout=120) == -signal.SIGKILL, kill_at
        outcomes.append('new' if check_and_clean(path)[0] != current else 'old')
    # Killed before any operation up to the rename the file is the old one; right after it, the new one.
    assert outcomes == ['old'] * len(operations) + ['new'], (operations, outcomes)


def test_concurrent_runs_on_one_file_never_expose_a_partial_file(tmp_path):
    """Two workers edit one file at once (one the HTTP port, one the offset), while a reader checks every
    version it sees: each is one of the complete contents; the runs take turns (the lock), none fails."""
    path = tmp_path / 'deployment.toml'
    path.write_bytes(OLD)
    valid = set(edit_ports(LARGE, {'http': port}, offset).text.encode('utf-8')
                for port in (8280, 8281, 8282) for offset in (None, 3, 4))
    runs = int(os.environ.get('CONCURRENT_RUNS', '10'))
    stop, seen = threading.Event(), []

    def reader():
        while not stop.is_set():
            seen.append(path.read_bytes() in valid)
            time.sleep(0.002)

    def worker(name, args_for):
        folder = tmp_path / name
        folder.mkdir()
        for run in range(runs):
            result = run_module('deployment_toml', dict({'path': str(path)}, **args_for(run)), tmp_path=folder)
            assert result.get('failed') is not True, result

    watcher = threading.Thread(target=reader)
    watcher.start()
    try:
        with ThreadPoolExecutor(2) as pool:
            futures = [pool.submit(worker, 'ports', lambda run: {'ports': {'http': 8281 + run % 2}}),
                       pool.submit(worker, 'offset', lambda run: {'offset': 3 + run % 2})]
            for future in futures:
                future.result()
    finally:
        stop.set()
        watcher.join()
    assert seen and all(seen), 'the reader saw %d partial versions' % seen.count(False)
    final = path.read_bytes()
    assert final in valid and tomllib.loads(final.decode('utf-8'))
    assert sorted(os.listdir(tmp_path)) == ['deployment.toml', 'offset', 'ports']


def test_a_run_after_a_kill_converges(tmp_path):
    """Whatever a kill left (old or new content, a stray temp file), the next run ends with the new
    content, and the run after it changes nothing."""
    path = tmp_path / 'deployment.toml'
    for start in (OLD, NEW):
        path.write_bytes(start)
        (tmp_path / '.deployment.toml.stray').write_bytes(OLD[:1000])
        first = run_module('deployment_toml', {'path': str(path), 'ports': {'http': 8281}}, tmp_path=tmp_path)
        assert first['changed'] is (start == OLD) and path.read_bytes() == NEW
        again = run_module('deployment_toml', {'path': str(path), 'ports': {'http': 8281}}, tmp_path=tmp_path)
        assert again['changed'] is False and path.read_bytes() == NEW


# Runs the module with an audit hook that, once the module holds the lock and creates its temporary file,
# tells the test (a marker file) and sleeps: a run stuck while holding the lock, for the test to kill.
STUCK = r'''
import os, runpy, sys, time
marker = sys.argv[1]
def hook(event, args):
    if event == 'open' and isinstance(args[0], str) and args[0].startswith('.deployment.toml.') \
            and isinstance(args[2], int) and args[2] & os.O_CREAT:  # the temporary file, made in the locked folder
        open(marker, 'w').close()
        time.sleep(600)
sys.addaudithook(hook)
sys.argv = sys.argv[2:]
runpy.run_path(sys.argv[0], run_name='__main__')
'''


def test_sigkill_of_a_run_holding_the_lock_lets_the_next_run_in(tmp_path):
    """The lock is the kernel's (flock): it dies with its holder, so a killed run never blocks the next one,
    and while it lives, a run that gives up names it."""
    folder = tmp_path / 'conf'
    folder.mkdir()
    path = folder / 'deployment.toml'
    path.write_bytes(OLD)
    marker = tmp_path / 'holding'
    stuck = subprocess.Popen([sys.executable, '-c', STUCK, str(marker), str(MODULES / 'deployment_toml.py'),
                              args_file(str(folder), str(path), 8281)], env=ENV, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        for _wait in range(600):
            if marker.exists() or stuck.poll() is not None:
                break
            time.sleep(0.1)
        assert marker.exists(), 'the run never reached its write'
        waiting = run_module('deployment_toml', {'path': str(path), 'ports': {'http': 8282}, 'lock_timeout': 0},
                             tmp_path=tmp_path)
        assert waiting['failed'] is True and 'another run holds the lock on %s (pid %d' % (folder, stuck.pid) \
            in waiting['msg'], waiting
    finally:
        stuck.send_signal(signal.SIGKILL)
        stuck.wait(timeout=120)
    assert path.read_bytes() == OLD
    after = run_module('deployment_toml', {'path': str(path), 'ports': {'http': 8281}, 'lock_timeout': 0},
                       tmp_path=tmp_path)
    assert after['changed'] is True and path.read_bytes() == NEW, after
