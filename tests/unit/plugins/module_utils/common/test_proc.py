"""The /proc reader on the real /proc of this machine: real processes, real listening sockets."""

import json
import os
import shutil
import subprocess
import tempfile
import sys
from pathlib import Path

import pytest

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common import proc as proc_scan
from helpers.standin_process import StandIn, free_ports, write_home

from helpers.runner import COLLECTIONS

# A process that looks like MI to the reader: -Dcarbon.home in its command line, listening on
# 127.0.0.1, ::1 and the IPv4-mapped ::ffff:127.0.0.1, each on a port the kernel picks.
SERVER = r'''
import socket, sys
held = []
def listen(family, address, v6only=True):
    sock = socket.socket(family, socket.SOCK_STREAM)
    if family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(v6only))
    sock.bind((address, 0))
    sock.listen(8)
    held.append(sock)
    return sock.getsockname()[1]
ports = [listen(socket.AF_INET, '127.0.0.1'), listen(socket.AF_INET6, '::1'),
         listen(socket.AF_INET6, '::ffff:127.0.0.1', v6only=False)]
print(' '.join(map(str, ports)), flush=True)
sys.stdin.read()
'''


class Server(object):
    def __init__(self, carbon_home, cwd=None, prefix=()):
        self.proc = subprocess.Popen(list(prefix) + [sys.executable, '-c', SERVER, '-Dcarbon.home=%s' % carbon_home,
                                                     'Bootstrap'],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=cwd,
                                     env=dict(os.environ, MI_TEST_MARK='hostread'))
        self.v4, self.v6, self.mapped = (int(port) for port in self.proc.stdout.readline().split())
        self.pid = self.proc.pid

    def stop(self):
        self.proc.stdin.close()
        self.proc.stdout.close()
        self.proc.wait(10)


@pytest.fixture
def homes(tmp_path):
    """An MI home and a symlink to it."""
    real = tmp_path / 'wso2mi-4.4.0'
    real.mkdir()
    (tmp_path / 'mi').symlink_to(real)
    return {'real': str(real), 'trailing': str(real) + '/', 'link': str(tmp_path / 'mi'),
            'link_trailing': str(tmp_path / 'mi') + '//'}


@pytest.fixture
def server(homes):
    started = Server(homes['link_trailing'])
    yield started
    started.stop()


@pytest.mark.parametrize('given', ['real', 'trailing', 'link', 'link_trailing'])
def test_finds_the_process_by_its_home_however_it_is_written(homes, server, given):
    (process,) = proc_scan.processes_of_home(proc_scan.carbon_processes(), homes[given])
    assert process['pid'] == server.pid
    assert process['carbon_home'] == homes['link_trailing']
    assert process['home'] == homes['real']
    assert process['argv'] == [sys.executable, '-c', SERVER, '-Dcarbon.home=%s' % homes['link_trailing'], 'Bootstrap']
    assert process['environ']['MI_TEST_MARK'] == 'hostread'
    assert process['foreign_mounts'] is False


def test_another_home_matches_nothing(tmp_path, server):
    assert proc_scan.processes_of_home(proc_scan.carbon_processes(), str(tmp_path)) == []


@pytest.mark.skipif(os.getuid() != 0 or not shutil.which('unshare'), reason='needs root and unshare')
def test_a_process_in_another_mount_namespace_is_not_this_home(homes):
    """In a container the same path names another file system: such a process never matches."""
    started = Server(homes['real'], prefix=['unshare', '--mount', '--propagation', 'private'])
    try:
        (process,) = [p for p in proc_scan.carbon_processes() if p['carbon_home'] == homes['real']]
        assert process['foreign_mounts'] is True
        assert proc_scan.processes_of_home(proc_scan.carbon_processes(), homes['real']) == []
    finally:
        started.stop()


def test_a_relative_home_is_taken_from_the_working_directory(homes, tmp_path):
    started = Server('mi/', cwd=str(tmp_path))
    try:
        (process,) = proc_scan.processes_of_home(proc_scan.carbon_processes(), homes['real'])
        assert process['pid'] == started.pid and process['carbon_home'] == 'mi/'
    finally:
        started.stop()


def _mine(sockets, server):
    return [(entry['family'], entry['address'], entry['port'])
            for entry in sockets if entry['port'] in (server.v4, server.v6, server.mapped)]


def test_host_sockets_name_their_owner(server):
    sockets = proc_scan.listening_sockets()
    assert sorted(_mine(sockets, server)) == sorted([
        (4, '127.0.0.1', server.v4), (6, '::1', server.v6), (6, '::ffff:127.0.0.1', server.mapped)])
    for entry in sockets:
        if entry['port'] in (server.v4, server.v6, server.mapped):
            assert entry['pids'] == [server.pid]
            assert entry['programs'] == [Path('/proc/%d/comm' % server.pid).read_text().strip()]
            assert entry['uid'] == os.getuid()
    assert [entry['port'] for entry in sockets] == sorted(entry['port'] for entry in sockets)


def test_sockets_of_one_process_are_exactly_its_own(server):
    sockets = proc_scan.listening_sockets(pid=server.pid)
    assert sorted(_mine(sockets, server)) == sorted(
        [(4, '127.0.0.1', server.v4), (6, '::1', server.v6), (6, '::ffff:127.0.0.1', server.mapped)])
    assert len(sockets) == 3


def test_a_gone_process_holds_no_sockets(server):
    pid = server.pid
    server.stop()
    assert proc_scan.listening_sockets(pid=pid) == []
    assert all(process['pid'] != pid for process in proc_scan.carbon_processes())
    server.stop = lambda: None


READER_AS_NOBODY = r'''
import json, sys
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common import proc as proc_scan
pid, port = int(sys.argv[1]), int(sys.argv[2])
mine = [entry for entry in proc_scan.listening_sockets() if entry['port'] == port]
processes = [p for p in proc_scan.carbon_processes() if p['pid'] == pid]
try:
    proc_scan.listening_sockets(pid=pid)
    own = 'readable'
except proc_scan.ProcUnreadable as exc:
    own = str(exc)
print(json.dumps({'sockets': mine, 'processes': processes, 'own': own}))
'''


SYSTEM_PYTHON = '/usr/bin/python3'  # the test's own interpreter may sit in root's home


@pytest.mark.skipif(os.getuid() != 0 or not os.access(SYSTEM_PYTHON, os.X_OK),
                    reason='needs root and a system python3 to run the reader as another user')
def test_without_root_owners_are_unknown_not_guessed(server):
    """Another user cannot read root's fds or environ: owners are None, environ None.

    The reader runs as nobody from a copy of common/proc.py and common/errors.py (they import only the standard library) in a folder
    nobody can reach: the checkout itself may sit in a private folder (mode 0700)."""
    reachable = Path(tempfile.mkdtemp(prefix='proc-scan-', dir='/tmp'))
    try:
        package = reachable / 'ansible_collections' / 'wso2ops' / 'micro_integrator' / 'plugins' / 'module_utils' / 'common'
        package.mkdir(parents=True)
        for name in ('proc.py', 'errors.py'):
            shutil.copyfile(COLLECTIONS / package.relative_to(reachable) / name, package / name)
        for folder in [reachable] + [path for path in package.parents if reachable in path.parents] + [package]:
            folder.chmod(0o755)
        for name in ('proc.py', 'errors.py'):
            (package / name).chmod(0o644)
        proc = subprocess.run([SYSTEM_PYTHON, '-c', READER_AS_NOBODY, str(server.pid), str(server.v4)],
                              capture_output=True, text=True, timeout=60, check=True, user=65534, group=65534,
                              cwd='/', env={'PYTHONPATH': str(reachable), 'PATH': os.environ['PATH']})
    finally:
        shutil.rmtree(reachable)
    seen = json.loads(proc.stdout)
    (entry,) = seen['sockets']
    assert entry['pids'] is None and entry['programs'] is None
    (process,) = seen['processes']
    assert process['environ'] is None and process['argv'][-2].startswith('-Dcarbon.home=')
    assert process['foreign_mounts'] is None
    assert 'cannot read the open files of process %d' % server.pid in seen['own']


@pytest.mark.skipif(sys.byteorder != 'little', reason='the table holds the kernel text of a little-endian host')
@pytest.mark.parametrize('line, family, address, port', [
    ('   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1234 1 0',
     4, '127.0.0.1', 8080),
    ('   1: 00000000:2062 00000000:0000 0A 00000000:00000000 00:00000000 00000000   999        0 77 1 0',
     4, '0.0.0.0', 8290),
    ('   2: 0A002A59:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5 1 0',
     4, '89.42.0.10', 22),
    ('   0: 00000000000000000000000001000000:23DC 00000000000000000000000000000000:0000 0A 00000000:00000000 '
     '00:00000000 00000000     0        0 4321 1 0', 6, '::1', 9180),
    ('   1: 0000000000000000FFFF00000100007F:2062 00000000000000000000000000000000:0000 0A 00000000:00000000 '
     '00:00000000 00000000     0        0 99 1 0', 6, '::ffff:127.0.0.1', 8290),
    ('   2: 000042FD000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 '
     '00:00000000 00000000     0        0 7 1 0', 6, 'fd42::1', 22),
])
def test_decodes_kernel_addresses(line, family, address, port):
    header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n'
    (entry,) = proc_scan.parse_net_tcp(header + line + '\n', family)
    assert (entry['family'], entry['address'], entry['port']) == (family, address, port)


def test_only_listening_sockets_are_read():
    header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n'
    established = '   0: 0100007F:1F90 0100007F:D3A2 01 00000000:00000000 00:00000000 00000000     0        0 8 1 0\n'
    assert proc_scan.parse_net_tcp(header + established, 4) == []


def test_finds_the_mi_standin_and_what_it_listens_on(tmp_path):
    """The stand-in appears in /proc as MI does: matched by home, its sockets read from its fds."""
    ports = free_ports(4)
    home = write_home(tmp_path / 'mi1', (
        '[server]\noffset = 0\n[transport.http]\nlistener.port = %d\nlistener.secured_port = %d\n'
        '[mediation]\ninternal_http_api_port = %d\ninternal_https_api_port = %d\n') % tuple(ports))
    (tmp_path / 'link').symlink_to(home)
    with StandIn(home) as standin:
        (process,) = proc_scan.processes_of_home(proc_scan.carbon_processes(), str(tmp_path / 'link'))
        assert process['pid'] == standin.pid
        sockets = proc_scan.listening_sockets(pid=standin.pid)
        assert [(entry['family'], entry['address'], entry['port']) for entry in sockets] == [
            (4, '0.0.0.0', port) for port in sorted(ports)]
