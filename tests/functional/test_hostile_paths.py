"""Paths a careless colleague or a compromised service account can set up, given to the modules running as root:
links planted by another account, links to nothing, devices, FIFOs, endless and oversized files, two instances
sharing one file. Each is refused with a clear message, the target untouched, and the run ends on its own (every
run has a subprocess timeout: a hang fails the test, no process is left behind). Legitimate links still edit.

MI's service account is played by nobody (uid 65534): the test, as root, gives it a folder and lets it "plant"
links by creating them and handing them over with lchown.
"""

import os
import stat
import subprocess
import threading

import pytest

from helpers.runner import run_module

IS_ROOT = os.geteuid() == 0
as_root = pytest.mark.skipif(not IS_ROOT, reason='needs root: the attack is on a run as root, and chown/mknod need it')
NOBODY = 65534
TEXT = ('[server]\nhostname = "localhost"\n# offset  = 10\n\n[keystore.primary]\npassword = "s3cr3t"\n\n'
        '[transport.http]\nlistener.port = 8280\n')
ROOT_ONLY = 'root-only secret, 0600: never read, never replaced\n'


def state(path):
    info = os.lstat(path)
    data = os.readlink(path) if stat.S_ISLNK(info.st_mode) else (
        open(path, 'rb').read() if stat.S_ISREG(info.st_mode) else None)
    return data, info.st_ino, info.st_mtime_ns, info.st_mode, info.st_uid, sorted(os.listdir(os.path.dirname(path)))


@pytest.fixture
def service_home(tmp_path):
    """An MI home owned by the service account (nobody), beside a root-only folder with a 0600 file."""
    os.chmod(tmp_path, 0o755)
    vault = tmp_path / 'vault'
    vault.mkdir(mode=0o700)
    secret = vault / 'secret'
    secret.write_text(ROOT_ONLY)
    os.chmod(secret, 0o600)
    conf = tmp_path / 'mi' / 'conf'
    conf.mkdir(parents=True)
    for folder in (conf.parent, conf):
        os.chown(folder, NOBODY, NOBODY)
    return conf


def plant(link, target, owner=NOBODY):
    os.symlink(target, link)
    os.lchown(link, owner, owner)
    return link


def edit(path, **args):
    return run_module('deployment_toml', dict({'path': str(path), 'ports': {'http': 8281}}, **args))


@as_root
@pytest.mark.parametrize('module', ['deployment_toml', 'deployment_toml_info', 'instances'])
def test_link_planted_by_the_service_account_to_a_root_only_file_is_refused(service_home, module):
    secret = service_home.parent.parent / 'vault' / 'secret'
    link = plant(service_home / 'deployment.toml', secret)
    before, link_before = state(secret), state(link)
    if module == 'deployment_toml':
        result = edit(link)
    elif module == 'deployment_toml_info':
        result = run_module(module, {'path': str(link)})
    else:
        result = run_module(module, {'instances': [{'name': 'mi', 'home': str(service_home.parent)}],
                                     'check_listeners': False})
    assert result['failed'] is True and result.get('changed') is not True, result
    assert ('%s is a symbolic link owned by nobody (uid 65534) that leads to %s, owned by root (uid 0)'
            % (link, secret)) in result['msg'], result['msg']
    assert 'root-only' not in str(result)
    assert state(secret) == before and state(link) == link_before


@as_root
def test_dangling_link_planted_with_create_never_makes_root_create_a_file(service_home):
    """A stand-in for /etc/sudoers.d: a root-only folder where the account would like root to write."""
    target = service_home.parent.parent / 'vault' / 'planted'
    link = plant(service_home / 'deployment.toml', target)
    result = edit(link, create=True)
    assert result['failed'] is True and result['changed'] is False, result
    assert 'is a symbolic link to %s, which does not exist' % target in result['msg']
    assert not os.path.lexists(target) and sorted(os.listdir(target.parent)) == ['secret']


@as_root
def test_a_link_in_the_middle_of_the_path_planted_by_the_account_is_refused(service_home):
    """The account owns the MI home and replaces conf/ by a link to a root-only folder holding a file."""
    vault = service_home.parent.parent / 'vault'
    (vault / 'deployment.toml').write_text(TEXT)
    os.rename(service_home, service_home.parent / 'conf.old')
    plant(service_home, vault)
    before = state(vault / 'deployment.toml')
    result = edit(service_home / 'deployment.toml')
    assert result['failed'] is True and 'symbolic link owned by nobody (uid 65534)' in result['msg'], result
    assert state(vault / 'deployment.toml') == before


@as_root
@pytest.mark.parametrize('owner', ['root', 'the file owner'])
def test_links_made_by_root_or_by_the_files_owner_still_edit(service_home, owner):
    shared = service_home.parent.parent / 'shared'
    shared.mkdir()
    target = shared / 'deployment.toml'
    target.write_text(TEXT)
    link_owner = 0 if owner == 'root' else NOBODY
    if owner == 'the file owner':
        os.chown(target, NOBODY, NOBODY)
    link = plant(service_home / 'deployment.toml', target, owner=link_owner)
    result = edit(link)
    assert result['changed'] is True and result['path'] == str(target), result
    assert target.read_text() == TEXT.replace('8280', '8281') and os.readlink(link) == str(target)
    assert os.stat(target).st_uid == link_owner  # the owner is kept


@as_root
def test_home_linked_by_root_still_edits(tmp_path):
    real = tmp_path / 'wso2mi-4.3.0' / 'conf'
    real.mkdir(parents=True)
    (real / 'deployment.toml').write_text(TEXT)
    (tmp_path / 'mi').symlink_to(real.parent)
    result = run_module('instances', {'instances': [{'name': 'mi', 'home': str(tmp_path / 'mi'), 'ports': {'http': 8281}}],
                                      'check_listeners': False})
    assert result['changed'] is True, result
    assert (real / 'deployment.toml').read_text() == TEXT.replace('8280', '8281')


def test_two_instances_sharing_one_file_through_a_link_are_refused(tmp_path):
    for name in ('a', 'b'):
        (tmp_path / name / 'conf').mkdir(parents=True)
    path = tmp_path / 'a' / 'conf' / 'deployment.toml'
    path.write_text(TEXT)
    (tmp_path / 'b' / 'conf' / 'deployment.toml').symlink_to(path)
    before = state(path)
    result = run_module('instances', {'instances': [
        {'name': 'a', 'home': str(tmp_path / 'a'), 'offset': 11}, {'name': 'b', 'home': str(tmp_path / 'b'), 'offset': 12}],
        'check_listeners': False})
    assert result['failed'] is True and result['changed'] is False, result
    assert '%s is the deployment.toml of more than one instance (a, b, through a symbolic link)' % path in result['msg']
    assert state(path) == before


def special_files(tmp_path):
    """{kind: path} of the non-regular files the test can make here."""
    conf = tmp_path / 'conf'
    conf.mkdir()
    made = {}
    fifo = conf / 'fifo.toml'
    os.mkfifo(fifo)
    made['FIFO without a writer'] = fifo
    made['a directory'] = conf
    if IS_ROOT:
        device = conf / 'null.toml'
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # the /dev/null device, in a tmp folder
        made['character device'] = device
        zero = conf / 'zero.toml'
        zero.symlink_to('/dev/zero')  # a link by root: legitimate, but /dev/zero is endless
        made['link to /dev/zero'] = zero
    return made


@pytest.mark.parametrize('module', ['deployment_toml', 'deployment_toml_info'])
def test_devices_fifos_and_endless_files_are_refused_without_reading(tmp_path, module):
    for kind, path in special_files(tmp_path).items():
        before = state(path)
        args = {'path': str(path)}
        if module == 'deployment_toml':
            args.update(ports={'http': 8281}, create=True)
        result = run_module(module, args)  # a hang would end in the runner's timeout, failing the test
        assert result['failed'] is True and result.get('changed') is not True, (kind, result)
        expected = 'the path is a directory' if kind == 'a directory' else 'not a regular file'
        assert expected in result['msg'], (kind, result['msg'])
        assert state(path) == before, kind


def test_a_fifo_with_a_writer_that_never_stops_is_refused(tmp_path):
    """A FIFO fed without end (a stand-in for a copy of /dev/zero): refused before it is opened, so the writer is
    never read from; the test's writer is then released by opening the FIFO itself."""
    fifo = tmp_path / 'deployment.toml'
    os.mkfifo(fifo)
    stop = threading.Event()

    def writer():
        with open(fifo, 'wb') as handle:  # blocks until a reader opens the FIFO
            while not stop.is_set():
                try:
                    handle.write(b'\0' * 65536)
                except BrokenPipeError:
                    return
    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    result = edit(fifo)
    assert result['failed'] is True and 'is a FIFO (named pipe), not a regular file' in result['msg'], result
    stop.set()
    with open(fifo, 'rb') as release:
        release.read(1)
    thread.join(timeout=30)
    assert not thread.is_alive()


@pytest.mark.parametrize('module', ['deployment_toml', 'deployment_toml_info'])
def test_a_hundred_megabyte_file_is_refused_from_its_size(tmp_path, module):
    path = tmp_path / 'deployment.toml'
    with open(path, 'wb') as handle:
        handle.write(TEXT.encode())
        handle.truncate(100 * 1024 * 1024)  # sparse: 100 MB that cost no disk
    before = state(path)
    args = {'path': str(path), 'ports': {'http': 8281}} if module == 'deployment_toml' else {'path': str(path)}
    result = run_module(module, args)
    assert result['failed'] is True and 'is 104857600 bytes, more than the 4194304 bytes (4 MiB)' in result['msg']
    assert state(path) == before


def test_a_fifo_as_environment_file_is_a_problem_not_a_hang(tmp_path):
    """The unit's EnvironmentFile= (and MI's --env-file) are read under the same rules: a FIFO is named as a
    problem. Run in a process of its own, so that a hang would be a timeout, not a stuck test run."""
    fifo = tmp_path / 'mi.env'
    os.mkfifo(fifo)
    code = ('from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common import systemd\n'
            'unit = {"id": "mi.service", "environment": {}, "environment_files": [{"path": %r, "optional": False}]}\n'
            'print(systemd.service_environment(unit)["problems"])\n' % str(fifo))
    from helpers.runner import COLLECTIONS
    proc = subprocess.run([os.sys.executable, '-c', code], capture_output=True, text=True, timeout=60, check=False,
                          env=dict(os.environ, PYTHONPATH=str(COLLECTIONS)))
    assert proc.returncode == 0, proc.stderr
    assert 'EnvironmentFile=%s of mi.service cannot be read (%s is a FIFO (named pipe), not a regular file' \
        % (fifo, fifo) in proc.stdout
