"""Run the MI stand-in (tests/hosts/mi-standin/mi_standin.py) for real as a local process.

Shared by the stand-in's own tests and the /proc reader tests. Ports come from the kernel
(bind to port 0), so the runs do not collide with anything else on the machine.
"""

import os
import random
import select
import socket
import subprocess
import sys
import time
from pathlib import Path

STANDIN = Path(__file__).resolve().parents[1] / 'hosts' / 'mi-standin' / 'mi_standin.py'
START_TIMEOUT = 20.0


def free_ports(count):
    """count TCP ports that are free on all IPv4 and IPv6 addresses right now."""
    held, ports = [], []
    while len(ports) < count:
        sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind(('::', 0))
        held.append(sock)
        ports.append(sock.getsockname()[1])
    for sock in held:
        sock.close()
    return ports


def bindable(port):
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(('0.0.0.0', port))
        return True
    except OSError:
        return False


def offset_for_free_ports():
    """An offset whose four default ports (and the next offset's) are free now, all below the kernel's
    ephemeral range, so that a port the audit does not know is 'unknown', not 'random'."""
    for _attempt in range(50):
        offset = random.randrange(1000, 22000)
        if all(bindable(base + offset + step) for base in (8280, 8243, 9191, 9154) for step in (0, 1)):
            return offset
    raise AssertionError('no free offset found')


def write_home(root, toml_text):
    """<root>/conf/deployment.toml holding toml_text; returns root."""
    conf = Path(root) / 'conf'
    conf.mkdir(parents=True, exist_ok=True)
    (conf / 'deployment.toml').write_text(toml_text)
    return Path(root)


def run_check(home, args=(), env=None):
    """`mi_standin.py --home HOME --check ARGS`: (exit code, stdout, stderr)."""
    proc = subprocess.run([sys.executable, str(STANDIN), '--home', str(home), '--check'] + list(args),
                          capture_output=True, text=True, timeout=30, check=False,
                          env=dict(os.environ, **(env or {})))
    return proc.returncode, proc.stdout, proc.stderr


class StandIn(object):
    """The stand-in running in the foreground until stop(); .output is its stdout so far."""

    def __init__(self, home, args=(), env=None):
        self.proc = subprocess.Popen(
            [sys.executable, str(STANDIN)] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=dict(os.environ, CARBON_HOME=str(home), **(env or {})))
        self.output = self.stderr = ''
        deadline = time.monotonic() + START_TIMEOUT
        while ' listening ' not in self.output:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError('the stand-in did not start: %s %s' % (self.output, self.stderr))
            ready, _w, _x = select.select([self.proc.stdout], [], [], 0.2)
            if ready:
                self.output += os.read(self.proc.stdout.fileno(), 65536).decode()

    @property
    def pid(self):
        return self.proc.pid

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.stderr = self.proc.stderr.read().decode()
        self.output += self.proc.stdout.read().decode()
        self.proc.stdout.close()
        self.proc.stderr.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def _read_to_close(conn):
    """Every byte the peer sends until it closes the connection."""
    data = b''
    while True:
        chunk = conn.recv(4096)
        if not chunk:
            return data
        data += chunk


def http_get(port, path, host='127.0.0.1', timeout=5.0):
    """(status line, headers text, body) of `GET path` over a fresh connection."""
    with socket.create_connection((host, port), timeout=timeout) as conn:
        conn.sendall(('GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' % (path, host)).encode())
        data = _read_to_close(conn)
    head, _sep, body = data.decode().partition('\r\n\r\n')
    status, _sep, headers = head.partition('\r\n')
    return status, headers, body


def bare_answer(port, host='127.0.0.1', timeout=5.0):
    """What a client that connects and sends nothing reads (as molecule's probe.py does)."""
    with socket.create_connection((host, port), timeout=timeout) as conn:
        data = _read_to_close(conn)
    return data.decode().partition('\r\n\r\n')[2]


def refused(port, host):
    """True when nothing listens on host:port (connection refused)."""
    family = socket.AF_INET6 if ':' in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(3.0)
        return sock.connect_ex((host, port)) != 0
