"""The folder lock, between real processes: the holder is named, the timeout bounds the wait, order is sorted."""

import os
import subprocess
import sys
import time

import pytest

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.lock import FolderLocks, LockError, holders

HOLD = 'import fcntl, os, sys, time\nfd = os.open(sys.argv[1], os.O_RDONLY)\nfcntl.flock(fd, fcntl.LOCK_EX)\n' \
       'print("held", flush=True)\ntime.sleep(60)\n'


@pytest.fixture
def holder(tmp_path):
    proc = subprocess.Popen([sys.executable, '-c', HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == 'held'
    yield proc
    proc.kill()
    proc.wait(timeout=30)


def test_a_held_lock_times_out_naming_the_holder(tmp_path, holder):
    with pytest.raises(LockError) as refused:
        with FolderLocks([str(tmp_path / 'deployment.toml')], timeout=0):
            pass
    assert 'another run holds the lock on %s (pid %d (python' % (tmp_path, holder.pid) in str(refused.value)
    assert 'lock_timeout 0 seconds' in str(refused.value)


def test_the_lock_of_a_killed_holder_is_free(tmp_path, holder):
    holder.kill()
    holder.wait(timeout=30)
    with FolderLocks([str(tmp_path / 'deployment.toml')], timeout=0) as locks:
        assert len(locks.taken) == 1 and holders(locks.taken[0].fd) != []  # this process holds it now
    assert locks.taken == [] and holders(locks.held[0].fd) == []


def test_a_waiter_gets_the_lock_when_the_holder_ends_within_the_timeout(tmp_path, holder):
    time.sleep(0)  # the holder is up
    killer = subprocess.Popen([sys.executable, '-c', 'import os, time; time.sleep(0.5); os.kill(%d, 9)' % holder.pid])
    with FolderLocks([str(tmp_path / 'x')], timeout=60) as locks:
        assert len(locks.taken) == 1
    killer.wait(timeout=30)


def test_folders_are_locked_once_each_in_sorted_order(tmp_path):
    paths = [str(tmp_path / name / 'deployment.toml') for name in ('b', 'a', 'b')]
    for name in ('a', 'b'):
        os.mkdir(tmp_path / name)
    locks = FolderLocks(paths)
    assert [folder.path for folder in locks.held] == [str(tmp_path / 'a'), str(tmp_path / 'b')]


def test_a_missing_folder_is_named(tmp_path):
    with pytest.raises(LockError, match='the folder %s does not exist; check the MI home' % (tmp_path / 'none')):
        with FolderLocks([str(tmp_path / 'none' / 'deployment.toml')]):
            pass
