# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The two network reads the control-plane checks may make, each only when an option asks for it: the address of a
host name (the host's own resolver) and one bounded TCP connect to the control plane's own address and port."""

import socket

PROBE_TIMEOUT = 3.0  # seconds: one connect, no retry


def resolve(host):
    """The first address the host's resolver gives for a name (IPv4 first, as MI listens on IPv4), or None."""
    try:
        found = socket.getaddrinfo(host, None, 0, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        return None
    found.sort(key=lambda item: item[0] != socket.AF_INET)
    return found[0][4][0] if found else None


def tcp_probe(address, port, timeout=PROBE_TIMEOUT):
    """None when a TCP connect to address:port succeeds within timeout, else why it failed. Nothing is sent."""
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return None
    except socket.timeout:
        return 'no answer within %g s' % timeout
    except OSError as exc:
        return exc.strerror or str(exc)
