"""File-system cases: missing, unreadable, read-only folder, a directory, symlinks, and the file's mode,
owner and SELinux context. The module runs for real; refused files are compared byte for byte.

Permission bits do not stop root, so the permission cases run the module with them in force: as root
with every capability dropped (setpriv empties the bounding set, so DAC_OVERRIDE, DAC_READ_SEARCH and
FOWNER are gone and uid 0 is checked like any owner), as any other user as it is. The module and the
interpreter stay reachable wherever the checkout is, private folders included.
"""

import json
import os
import shutil
import stat
import subprocess
import sys

import pytest

from helpers.runner import COLLECTIONS, MODULES

TEXT = ('[server]\nhostname = "localhost"\n# offset  = 10\n\n'
        '[keystore.primary]\npassword = "wso2carbon"\n\n'
        '[transport.http]\nlistener.port = 8280\n')
EDITED = TEXT.replace('8280', '8281')
IS_ROOT = os.geteuid() == 0
without_privileges = pytest.mark.skipif(IS_ROOT and shutil.which('setpriv') is None,
                                        reason='needs setpriv to drop root\'s capabilities (root ignores permission bits)')


def snapshot(path):
    info = os.stat(path)
    return path.read_bytes(), info.st_ino, info.st_mtime_ns, sorted(os.listdir(path.parent))


@pytest.fixture
def conf(tmp_path):
    folder = tmp_path / 'conf'
    folder.mkdir()
    path = folder / 'deployment.toml'
    path.write_text(TEXT)
    return path


def run_unprivileged(folder, args):
    """Run the module as Ansible does, with permission bits in force (see the module docstring)."""
    args_file = os.path.join(folder, 'args.json')
    with open(args_file, 'w') as handle:
        json.dump({'ANSIBLE_MODULE_ARGS': args}, handle)
    drop = ['setpriv', '--bounding-set=-all', '--inh-caps=-all', '--'] if IS_ROOT else []
    proc = subprocess.run(drop + [sys.executable, str(MODULES / 'deployment_toml.py'), args_file],
                          capture_output=True, text=True, timeout=120, check=False, cwd=folder,
                          env=dict(os.environ, PYTHONPATH=str(COLLECTIONS)))
    os.unlink(args_file)
    assert 'Traceback' not in proc.stderr and proc.stdout, proc.stderr
    return json.loads(proc.stdout)


def test_missing_file_is_refused_and_not_created(conf, module_runner):
    missing = conf.parent / 'missing.toml'
    listing = sorted(os.listdir(conf.parent))
    result = module_runner('deployment_toml', {'path': str(missing), 'ports': {'http': 8281}})
    assert result['failed'] is True and 'the file does not exist; check the MI home' in result['msg'], result
    assert sorted(os.listdir(conf.parent)) == listing


def test_missing_file_with_create_is_created_and_check_mode_creates_nothing(conf, module_runner):
    new = conf.parent / 'new.toml'
    checked = module_runner('deployment_toml', {'path': str(new), 'ports': {'http': 8281}, 'create': True},
                            check=True)
    assert checked['changed'] is True and not new.exists()
    result = module_runner('deployment_toml', {'path': str(new), 'ports': {'http': 8281}, 'create': True})
    assert result['changed'] is True and new.read_text() == '[transport.http]\nlistener.port = 8281\n'


def test_missing_folder_with_create_is_refused(tmp_path, module_runner):
    path = tmp_path / 'no-such-home' / 'conf' / 'deployment.toml'
    result = module_runner('deployment_toml', {'path': str(path), 'ports': {'http': 8281}, 'create': True})
    assert result['failed'] is True, result
    assert 'the folder %s does not exist; check the MI home' % path.parent in result['msg']
    assert not (tmp_path / 'no-such-home').exists()


def test_path_that_is_a_directory_is_refused(conf, module_runner):
    before = snapshot(conf)
    result = module_runner('deployment_toml', {'path': str(conf.parent), 'ports': {'http': 8281}, 'create': True})
    assert result['failed'] is True and 'the path is a directory; give the path of the file itself' in result['msg']
    assert snapshot(conf) == before and os.path.isdir(conf.parent)


@without_privileges
def test_unreadable_file_is_refused(tmp_path):
    path = os.path.join(tmp_path, 'deployment.toml')
    with open(path, 'w') as handle:
        handle.write(TEXT)
    os.chmod(path, 0o200)  # writable by its owner, not readable
    before = (open(path, 'rb').read(), os.stat(path).st_mtime_ns, sorted(os.listdir(tmp_path)))
    result = run_unprivileged(tmp_path, {'path': path, 'ports': {'http': 8281}})
    assert result['failed'] is True and 'cannot read the file: Permission denied' in result['msg'], result
    assert (open(path, 'rb').read(), os.stat(path).st_mtime_ns, sorted(os.listdir(tmp_path))) == before


@without_privileges
def test_read_only_folder_is_refused_without_leftovers(tmp_path):
    """The file is writable, its folder is not: no temporary file, so no atomic rename, so no edit."""
    folder = os.path.join(tmp_path, 'conf')
    os.mkdir(folder)
    path = os.path.join(folder, 'deployment.toml')
    with open(path, 'w') as handle:
        handle.write(TEXT)
    os.chmod(folder, 0o555)
    before = (open(path, 'rb').read(), os.stat(path).st_mtime_ns, sorted(os.listdir(folder)))
    result = run_unprivileged(tmp_path, {'path': path, 'ports': {'http': 8281}})
    assert result['failed'] is True, result
    assert 'cannot create a temporary file in %s: Permission denied; the folder must be writable' % folder \
        in result['msg']
    assert (open(path, 'rb').read(), os.stat(path).st_mtime_ns, sorted(os.listdir(folder))) == before


@without_privileges
def test_read_only_file_in_a_writable_folder_is_replaced_keeping_its_mode(tmp_path):
    """As with Ansible's own file modules, the folder's permission decides: the file is replaced
    atomically and keeps its read-only mode and owner."""
    path = os.path.join(tmp_path, 'deployment.toml')
    with open(path, 'w') as handle:
        handle.write(TEXT)
    os.chmod(path, 0o444)
    owner = (os.stat(path).st_uid, os.stat(path).st_gid)
    result = run_unprivileged(tmp_path, {'path': path, 'ports': {'http': 8281}})
    assert result['changed'] is True, result
    assert open(path).read() == EDITED
    info = os.stat(path)
    assert (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid) == (0o444,) + owner
    assert sorted(os.listdir(tmp_path)) == ['deployment.toml']


@pytest.mark.parametrize('link_kind', ['absolute', 'relative', 'chain of two'])
def test_symlink_target_is_edited_and_the_link_kept(tmp_path, module_runner, link_kind):
    home = tmp_path / 'wso2mi' / 'conf'
    home.mkdir(parents=True)
    target = tmp_path / 'shared-config' / 'deployment.toml'
    target.parent.mkdir()
    target.write_text(TEXT)
    link = home / 'deployment.toml'
    if link_kind == 'absolute':
        link.symlink_to(target)
    elif link_kind == 'relative':
        link.symlink_to(os.path.relpath(target, home))
    else:
        middle = tmp_path / 'middle.toml'
        middle.symlink_to(target)
        link.symlink_to(middle)
    pointed = os.readlink(link)
    result = module_runner('deployment_toml', {'path': str(link), 'ports': {'http': 8281}})
    assert result['changed'] is True and result['path'] == str(target.resolve()), result
    assert link.is_symlink() and os.readlink(link) == pointed
    assert target.read_text() == EDITED and not target.is_symlink()
    assert sorted(os.listdir(target.parent)) == ['deployment.toml'] and sorted(os.listdir(home)) == ['deployment.toml']


def test_dangling_symlink_is_refused_also_with_create(tmp_path, module_runner):
    """A link to nothing is never followed to create a file: whoever planted it would choose where root writes."""
    target = tmp_path / 'shared' / 'deployment.toml'
    target.parent.mkdir()
    link = tmp_path / 'deployment.toml'
    link.symlink_to(target)
    for create in (False, True):
        refused = module_runner('deployment_toml', {'path': str(link), 'ports': {'http': 8281}, 'create': create})
        assert refused['failed'] is True and refused['changed'] is False, refused
        assert 'is a symbolic link to %s, which does not exist' % target in refused['msg']
        assert not target.exists() and link.is_symlink() and sorted(os.listdir(target.parent)) == []


@pytest.mark.skipif(os.geteuid() != 0, reason='changing the owner to another uid needs root')
def test_mode_and_owner_are_kept(conf, module_runner):
    os.chown(conf, 1234, 2345)
    os.chmod(conf, 0o640)
    inode = os.stat(conf).st_ino
    result = module_runner('deployment_toml', {'path': str(conf), 'ports': {'http': 8281}, 'backup': True})
    assert result['changed'] is True and conf.read_text() == EDITED
    info = os.stat(conf)
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (1234, 2345, 0o640)
    assert info.st_ino != inode, 'the file was not replaced atomically'
    assert open(result['backup_file']).read() == TEXT


def test_hard_link_is_split_with_a_warning(conf, module_runner):
    other = conf.parent / 'other-name.toml'
    os.link(conf, other)
    result = module_runner('deployment_toml', {'path': str(conf), 'ports': {'http': 8281}})
    assert result['changed'] is True and conf.read_text() == EDITED and other.read_text() == TEXT
    assert 'had 2 hard links: it was replaced by a new file, the 1 other names keep the old content' \
        in json.dumps(result['warnings'])
