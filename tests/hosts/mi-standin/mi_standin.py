"""Stand-in for WSO2 Micro Integrator (MI 4.x) on molecule test hosts.

MI itself cannot be downloaded on the test machines, so this service takes its place.
It is written from MI's documented port rules (see tests/hosts/README.md), NOT from
the collection's code, so that it is an independent check of the collection:

* the only input is <MI_HOME>/conf/deployment.toml;
* effective port = base port + offset;
* offset: -DportOffset=N (program arguments, then JAVA_OPTS) > [server] offset > 10;
  a manual offset replaces the built-in 10, it does not add to it;
* base ports: [transport.http] listener.port (8280), listener.secured_port (8243),
  [mediation] internal_http_api_port (9191), internal_https_api_port (9154);
  values may be integers or digit strings;
* a file that is not valid TOML (e.g. a duplicate key) stops MI from starting.

It listens on the four effective TCP ports (IPv4 and IPv6) and answers every
connection with a short HTTP/1.0 response naming the instance, the alias and the port,
then closes. The HTTPS ports answer in plain text too. Standard library only
(Python 3.11+ for tomllib).
"""

import argparse
import os
import re
import shlex
import signal
import socket
import sys
import threading
import tomllib

DEFAULT_OFFSET = 10

# alias -> (table path, key path inside that table, base port)
PORTS = (
    ("http", ("transport", "http"), ("listener", "port"), 8280),
    ("https", ("transport", "http"), ("listener", "secured_port"), 8243),
    ("management_http", ("mediation",), ("internal_http_api_port",), 9191),
    ("management_https", ("mediation",), ("internal_https_api_port",), 9154),
)

PORT_OFFSET_RE = re.compile(r"^-DportOffset=(.*)$")


class ConfigError(Exception):
    pass


def as_int(value, what):
    """MI accepts integers and digit strings (its defaults table stores strings)."""
    if isinstance(value, bool):
        raise ConfigError(f"{what}: expected an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    raise ConfigError(f"{what}: expected an integer, got {value!r}")


def lookup(data, path):
    node = data
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def offset_from_words(words, what):
    """Last -DportOffset=N among words wins (as with repeated JVM -D options)."""
    found = None
    for word in words:
        match = PORT_OFFSET_RE.match(word)
        if match:
            found = as_int(match.group(1), f"{what} -DportOffset")
    return found


def effective_offset(data, argv_extra, java_opts):
    # MI's startup script hands program arguments to the bootstrap after the JVM has
    # read JAVA_OPTS, so an argument overrides JAVA_OPTS.
    offset = offset_from_words(argv_extra, "argument")
    if offset is None:
        try:
            words = shlex.split(java_opts or "")
        except ValueError as exc:
            raise ConfigError(f"JAVA_OPTS cannot be parsed: {exc}") from exc
        offset = offset_from_words(words, "JAVA_OPTS")
    if offset is None:
        value = lookup(data, ("server", "offset"))
        if value is not None:
            offset = as_int(value, "[server] offset")
    if offset is None:
        offset = DEFAULT_OFFSET
    return offset


def effective_ports(data, offset):
    result = []
    for alias, table, key, base in PORTS:
        value = lookup(data, table + key)
        name = f"[{'.'.join(table)}] {'.'.join(key)}"
        port = base if value is None else as_int(value, name)
        effective = port + offset
        if not 1 <= effective <= 65535:
            raise ConfigError(f"{name}: effective port {effective} ({port} + offset {offset}) is out of range")
        result.append((alias, effective))
    seen = {}
    for alias, port in result:
        if port in seen:
            raise ConfigError(f"effective port {port} is used by both {seen[port]} and {alias}")
        seen[port] = alias
    return result


def load_config(home):
    path = os.path.join(home, "conf", "deployment.toml")
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle), path
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def open_listener(port):
    """One socket for IPv4 and IPv6 when the kernel allows it, else IPv4 only."""
    if socket.has_ipv6:
        try:
            sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        except OSError:
            sock = None
        if sock is not None:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
                sock.bind(("::", port))
                sock.listen(64)
                return sock
            except OSError as exc:
                sock.close()
                if exc.errno not in (97, 99):  # EAFNOSUPPORT, EADDRNOTAVAIL: no IPv6
                    raise
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("0.0.0.0", port))
    sock.listen(64)
    return sock


def answer(conn, body):
    try:
        conn.settimeout(2.0)
        payload = body.encode()
        conn.sendall(
            b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n"
            + f"Content-Length: {len(payload)}\r\n\r\n".encode()
            + payload
        )
        conn.shutdown(socket.SHUT_WR)
        # Drain what the client sent so that close() does not turn into a reset.
        for _attempt in range(16):
            if not conn.recv(4096):
                break
    except OSError:
        pass
    finally:
        conn.close()


def serve(sock, body):
    while True:
        try:
            conn, _peer = sock.accept()
        except OSError:
            return
        threading.Thread(target=answer, args=(conn, body), daemon=True).start()


def sd_notify(message):
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return
    if address.startswith("@"):
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(address)
            sock.sendall(message.encode())
    except OSError as exc:
        print(f"mi-standin: sd_notify failed: {exc}", file=sys.stderr)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", required=True, help="MI_HOME (holds conf/deployment.toml)")
    parser.add_argument("--instance", help="instance name (default: basename of --home)")
    parser.add_argument("--check", action="store_true", help="print the effective ports and exit")
    args, extra = parser.parse_known_args(argv)
    unknown = [word for word in extra if not PORT_OFFSET_RE.match(word) and not word.startswith("-D")]
    if unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    home = os.path.abspath(args.home)
    instance = args.instance or os.path.basename(home.rstrip("/"))

    try:
        data, path = load_config(home)
        offset = effective_offset(data, extra, os.environ.get("JAVA_OPTS", ""))
        ports = effective_ports(data, offset)
    except ConfigError as exc:
        print(f"mi-standin[{instance}]: refusing to start: {exc}", file=sys.stderr)
        return 2

    summary = " ".join(f"{alias}={port}" for alias, port in ports)
    if args.check:
        print(f"instance={instance} offset={offset} {summary}")
        return 0

    sockets = []
    try:
        for alias, port in ports:
            sockets.append((alias, port, open_listener(port)))
    except OSError as exc:
        print(f"mi-standin[{instance}]: cannot listen on port {port} ({alias}): {exc}", file=sys.stderr)
        return 3

    for alias, port, sock in sockets:
        body = f"mi-standin instance={instance} alias={alias} port={port}\n"
        threading.Thread(target=serve, args=(sock, body), daemon=True).start()

    print(f"mi-standin[{instance}]: {path} offset={offset} listening {summary}", flush=True)
    sd_notify(f"READY=1\nSTATUS=listening {summary}")

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(3600):
        pass
    for _alias, _port, sock in sockets:
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
