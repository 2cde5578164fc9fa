"""Writes that fail midway, on real file systems: a full disk (a small tmpfs mounted for the test) under the second
of two instances, a full disk under a backup, an immutable file (chattr +i), a single-file bind mount; and the modes
the one atomic write path gives new files whatever the umask. The results must be honest: which file is in which
state, `changed` true only when a file stayed changed, and no truncated backup.
"""

import contextlib
import json
import os
import shutil
import stat
import subprocess
import sys

import pytest

from helpers.runner import COLLECTIONS, MODULES, run_module

IS_ROOT = os.geteuid() == 0
TEXT = ('[server]\nhostname = "localhost"\n# offset  = 10\n\n[keystore.primary]\npassword = "s3cr3t"\n\n'
        '[transport.http]\nlistener.port = 8280\n')
# About 40 kB: two copies (the old file and a new one) do not fit in a 64 kB tmpfs.
LARGE = TEXT + ''.join('# datasource %d: a comment line that only takes room\n' % n for n in range(700))


def state(path):
    info = os.stat(path)
    return open(path, 'rb').read(), info.st_ino, info.st_mtime_ns, sorted(os.listdir(os.path.dirname(path)))


@contextlib.contextmanager
def mounted(folder, *options):
    """folder with a file system mounted on it for the block. Without root or mount(8) the test skips, and fails
    under CI=true (tests/conftest.py); a refused mount fails it."""
    if not IS_ROOT or shutil.which('mount') is None:
        pytest.skip('mounting a tmpfs or a bind mount needs root and mount(8)')
    proc = subprocess.run(['mount'] + list(options) + [str(folder)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, 'mount %s failed: %s' % (' '.join(options), proc.stderr.strip())
    try:
        yield folder
    finally:
        subprocess.run(['umount', '-l', str(folder)], check=True)


@contextlib.contextmanager
def immutable(path):
    """path made immutable for the block; path is on a tmpfs of the test's own (tmpfs has the flag since Linux 6.0),
    whatever file system holds the temporary folders."""
    if not IS_ROOT or shutil.which('chattr') is None:
        pytest.skip('chattr +i needs root and chattr(1)')
    proc = subprocess.run(['chattr', '+i', str(path)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, 'chattr +i %s failed: %s' % (path, proc.stderr.strip())
    try:
        yield path
    finally:
        subprocess.run(['chattr', '-i', str(path)], check=True)


def home(tmp_path, name, text):
    conf = tmp_path / name / 'conf'
    conf.mkdir(parents=True, exist_ok=True)
    (conf / 'deployment.toml').write_text(text)
    return conf / 'deployment.toml'


@contextlib.contextmanager
def home_on_tmpfs(tmp_path, name, text):
    """home() with its conf folder on a tmpfs mounted for the block."""
    (tmp_path / name / 'conf').mkdir(parents=True)
    with mounted(tmp_path / name / 'conf', '-t', 'tmpfs', '-o', 'size=1m,mode=0755', 'tmpfs'):
        yield home(tmp_path, name, text)


def two_instances(tmp_path, **extra):
    return dict({'instances': [{'name': 'a', 'home': str(tmp_path / 'a'), 'ports': {'http': 8281}},
                               {'name': 'b', 'home': str(tmp_path / 'b'), 'offset': 12}],
                 'check_listeners': False}, **extra)


def test_full_disk_under_the_second_instance_changes_nothing(tmp_path):
    a = home(tmp_path, 'a', TEXT)
    (tmp_path / 'b' / 'conf').mkdir(parents=True)
    with mounted(tmp_path / 'b' / 'conf', '-t', 'tmpfs', '-o', 'size=64k', 'tmpfs'):
        b = home(tmp_path, 'b', LARGE)
        before = state(a), state(b)
        result = run_module('instances', two_instances(tmp_path))
        assert result['failed'] is True and result['changed'] is False, result
        assert 'nothing was changed' in result['msg'] and 'No space left on device' in result['msg']
        assert str(b.parent) in result['msg'], result['msg']
        assert (state(a), state(b)) == before
        with_backup = run_module('instances', two_instances(tmp_path, backup=True))
        assert with_backup['failed'] is True and with_backup['changed'] is False, with_backup
        assert (state(a), state(b)) == before, 'a backup was left (or a file changed)'


def test_rename_failing_on_the_second_instance_puts_the_first_back(tmp_path):
    a = home(tmp_path, 'a', TEXT)
    old_a = state(a)
    with home_on_tmpfs(tmp_path, 'b', TEXT) as b, immutable(b):
        before_b = state(b)
        result = run_module('instances', two_instances(tmp_path))
        assert result['failed'] is True and result['changed'] is False, result
        assert result['files'][str(a)] == 'restored (replaced, then put back)', result['files']
        assert result['files'][str(b)].startswith('unchanged (cannot replace %s: Operation not permitted' % b)
        assert 'chattr -i' in result['files'][str(b)] and 'nothing was changed: ' in result['msg']
        assert state(b) == before_b
    assert state(a)[0] == old_a[0] and state(a)[3] == old_a[3], 'a is back, byte for byte, and no file was left'


def test_full_disk_with_backup_leaves_no_truncated_backup(tmp_path):
    conf = tmp_path / 'conf'
    conf.mkdir()
    with mounted(conf, '-t', 'tmpfs', '-o', 'size=64k', 'tmpfs'):
        path = conf / 'deployment.toml'
        path.write_text(LARGE)
        before = state(path)
        result = run_module('deployment_toml', {'path': str(path), 'ports': {'http': 8281}, 'backup': True})
        assert result['failed'] is True and result['changed'] is False, result
        assert 'No space left on device' in result['msg']
        assert state(path) == before, 'a (truncated) backup or a temporary file was left'


def test_immutable_file_is_refused_with_what_to_do(tmp_path):
    with home_on_tmpfs(tmp_path, 'mi', TEXT) as path, immutable(path):
        before = state(path)
        result = run_module('deployment_toml', {'path': str(path), 'ports': {'http': 8281}})
        assert result['failed'] is True and result['changed'] is False, result
        assert 'cannot replace %s: Operation not permitted; the file or its folder is immutable or append-only' \
            % path in result['msg'] and 'chattr -i' in result['msg']
        assert state(path) == before


def test_single_file_bind_mount_is_refused_unless_unsafe_writes(tmp_path):
    path = home(tmp_path, 'mi', TEXT)
    source = tmp_path / 'volume.toml'
    source.write_text(TEXT)
    with mounted(path, '--bind', str(source)):
        before = state(path)
        result = run_module('deployment_toml', {'path': str(path), 'ports': {'http': 8281}})
        assert result['failed'] is True and result['changed'] is False, result
        assert 'is a mount point (a single-file bind mount' in result['msg']
        assert 'set unsafe_writes: true to write it in place (not atomic)' in result['msg']
        assert state(path) == before
        in_place = run_module('deployment_toml', {'path': str(path), 'ports': {'http': 8281}, 'unsafe_writes': True})
        assert in_place['changed'] is True, in_place
        assert path.read_text() == TEXT.replace('8280', '8281') and source.read_text() == path.read_text()
    assert sorted(os.listdir(path.parent)) == ['deployment.toml']


# The firewall backends write through Host.write (the one atomic write path): a real AnsibleModule in a process
# with the umask set, writing a new file and replacing an existing 0600 one, as the nftables backend does.
HOST_WRITE = r'''
import json, os, sys
os.umask(int(sys.argv[1], 8))
from ansible.module_utils.basic import AnsibleModule
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.host import Host
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall import nftables
sys.argv = sys.argv[:1] + sys.argv[2:]  # AnsibleModule reads its args file from argv[1]
module = AnsibleModule(argument_spec={})
host = Host(module)
folder = os.getcwd()
new, old = os.path.join(folder, 'new.nft'), os.path.join(folder, 'old.nft')
host.write(new, 'table inet t {}\n')
host.write(old, nftables.UNIT_TEXT)
module.exit_json(modes={name: oct(os.stat(os.path.join(folder, name)).st_mode & 0o7777) for name in ('new.nft', 'old.nft')})
'''


@pytest.mark.parametrize('umask', ['077', '000'])
def test_firewall_files_get_their_documented_mode_whatever_the_umask(tmp_path, umask):
    folder = tmp_path / 'etc'
    folder.mkdir()
    old = folder / 'old.nft'
    old.write_text('old\n')
    os.chmod(old, 0o600)
    args = tmp_path / 'args.json'
    args.write_text(json.dumps({'ANSIBLE_MODULE_ARGS': {}}))
    proc = subprocess.run([sys.executable, '-c', HOST_WRITE, umask, str(args)], capture_output=True, text=True,
                          timeout=120, check=False, cwd=str(folder), env=dict(os.environ, PYTHONPATH=str(COLLECTIONS)))
    result = json.loads(proc.stdout)
    assert result['modes'] == {'new.nft': '0o644', 'old.nft': '0o600'}, (result, proc.stderr)
    assert stat.S_IMODE(os.stat(folder / 'new.nft').st_mode) == 0o644 and sorted(os.listdir(folder)) == ['new.nft', 'old.nft']


# Fault injection (a stand-in for a disk that fails between two renames): an audit hook makes the rename onto the
# second file fail, and also the rename that would put the first one back.
FAILING_RENAMES = r'''
import errno, os, runpy, sys
first, second = sys.argv[1], sys.argv[2]
seen = []
def hook(event, args):
    if event == 'os.rename':  # the modules rename inside the folder's descriptor (dst_dir_fd): name that folder
        folder = os.readlink('/proc/self/fd/%d' % args[3]) if isinstance(args[3], int) and args[3] >= 0 else ''
        target = os.path.join(folder, os.fsdecode(args[1]))
        seen.append(target)
        if target == second or (target == first and seen.count(first) == 2):
            raise OSError(errno.EIO, os.strerror(errno.EIO))
sys.addaudithook(hook)
sys.argv = sys.argv[3:]
runpy.run_path(sys.argv[0], run_name='__main__')
'''


def test_a_file_that_cannot_be_put_back_is_reported_changed(tmp_path):
    a, b = home(tmp_path, 'a', TEXT), home(tmp_path, 'b', TEXT)
    args = tmp_path / 'args.json'
    args.write_text(json.dumps({'ANSIBLE_MODULE_ARGS': two_instances(tmp_path)}))
    proc = subprocess.run([sys.executable, '-c', FAILING_RENAMES, str(a), str(b), str(MODULES / 'instances.py'),
                           str(args)], capture_output=True, text=True, timeout=120, check=False,
                          env=dict(os.environ, PYTHONPATH=str(COLLECTIONS)))
    result = json.loads(proc.stdout)
    assert result['failed'] is True and result['changed'] is True, result
    assert result['msg'].startswith('some files were changed: ')
    assert result['files'][str(a)].startswith('replaced, could not be restored: cannot replace %s: Input/output error' % a)
    assert result['files'][str(b)].startswith('unchanged (cannot replace %s: Input/output error' % b)
    assert a.read_text() == TEXT.replace('8280', '8281') and b.read_text() == TEXT
    assert sorted(os.listdir(a.parent)) == ['deployment.toml'] and sorted(os.listdir(b.parent)) == ['deployment.toml']
