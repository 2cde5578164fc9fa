"""Connect to HOST:PORT targets (IPv6 as [ADDRESS]:PORT) in parallel, once each with a short timeout, and
print JSON {"HOST:PORT": {"open": bool, "reached": bool, "answer": first line of the answer or the error}}.

"reached" says that the packet passed the host's firewall: the connection was accepted, or refused
by the host's TCP stack because nothing listens there. None of the tested firewalls answers a
blocked port that way: nftables and ufw drop (a timeout), firewalld rejects with an ICMP
"administratively prohibited" (EACCES or EHOSTUNREACH).

Molecule verify runs it on the scenario's client containers against the scenario's MI host only.
The MI stand-in answers an HTTP/1.0 response whose body names instance, alias and port; the
sshd stand-in answers one banner line.
"""

import json
import socket
import sys
from concurrent.futures import ThreadPoolExecutor

TIMEOUT = 3.0


def probe(target):
    host, port = target.rsplit(':', 1)
    host = host.strip('[]')
    try:
        with socket.create_connection((host, int(port)), timeout=TIMEOUT) as conn:
            conn.settimeout(TIMEOUT)
            data = b''
            while len(data) < 4096:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
    except ConnectionRefusedError as exc:
        return target, {'open': False, 'reached': True, 'answer': '%s: %s' % (type(exc).__name__, exc)}
    except OSError as exc:
        return target, {'open': False, 'reached': False, 'answer': '%s: %s' % (type(exc).__name__, exc)}
    lines = [line for line in data.decode('utf-8', 'replace').splitlines() if line.strip()]
    answer = next((line for line in lines if line.startswith(('mi-standin', 'SSH-'))), lines[-1] if lines else '')
    return target, {'open': True, 'reached': True, 'answer': answer}


def main(targets):
    with ThreadPoolExecutor(max_workers=32) as pool:
        print(json.dumps(dict(pool.map(probe, targets)), sort_keys=True))


if __name__ == '__main__':
    main(sys.argv[1:])
