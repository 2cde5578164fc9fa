"""Connect to HOST:PORT targets (IPv6 as [ADDRESS]:PORT) in parallel, once each with a short timeout, and
print JSON {"HOST:PORT": {"open": bool, "reached": bool, "answer": first line of the answer or the error}}.

"reached" says that the packet passed the host's firewall: the connection was accepted, or refused
by the host's TCP stack because nothing listens there. None of the tested firewalls answers a
blocked port that way: nftables and ufw drop (a timeout), firewalld rejects with an ICMP
"administratively prohibited" (EACCES or EHOSTUNREACH).

Molecule verify runs it on the scenario's client containers against the scenario's MI host only.
The MI stand-in answers an HTTP/1.0 response whose body names instance, alias and port; the
sshd stand-in answers one banner line.

--loop STOPFILE SECONDS TARGET...: probe the targets together every INTERVAL seconds, with a short timeout
(traffic during a rollout), until STOPFILE exists or SECONDS passed; print JSON {"HOST:PORT": [[state, count],
...]}, the states in the order seen, each with its number of consecutive samples: "open" (MI answered),
"refused" (the firewall let the packet through, nothing listens) or "blocked" (the firewall kept it out).
"""

import json
import os
import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor

TIMEOUT = 3.0
LOOP_TIMEOUT = 0.5  # the scenario network is local: no answer within it is the firewall's drop
INTERVAL = 0.25


def probe(target, timeout=TIMEOUT):
    host, port = target.rsplit(':', 1)
    host = host.strip('[]')
    try:
        conn = socket.create_connection((host, int(port)), timeout=timeout)
    except ConnectionRefusedError as exc:
        return target, {'open': False, 'reached': True, 'answer': '%s: %s' % (type(exc).__name__, exc)}
    except OSError as exc:
        return target, {'open': False, 'reached': False, 'answer': '%s: %s' % (type(exc).__name__, exc)}
    data = b''
    with conn:  # connected: something listens there, whatever it answers
        conn.settimeout(timeout)
        try:
            while len(data) < 4096:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
        except OSError as exc:
            data += ('\n(no complete answer: %s: %s)' % (type(exc).__name__, exc)).encode()
    lines = [line for line in data.decode('utf-8', 'replace').splitlines() if line.strip()]
    answer = next((line for line in lines if line.startswith(('mi-standin', 'SSH-'))), lines[-1] if lines else '')
    return target, {'open': True, 'reached': True, 'answer': answer}


def state(seen):
    return 'open' if seen['open'] else 'refused' if seen['reached'] else 'blocked'


def loop(stop_file, seconds, targets):
    runs = dict((target, []) for target in targets)
    deadline = time.monotonic() + float(seconds)
    with ThreadPoolExecutor(max_workers=len(targets)) as pool:
        while time.monotonic() < deadline:
            done = os.path.exists(stop_file)  # one more round after the stop file: the final state
            for target, seen in pool.map(lambda item: probe(item, LOOP_TIMEOUT), targets):
                now = state(seen)
                if runs[target] and runs[target][-1][0] == now:
                    runs[target][-1][1] += 1
                else:
                    runs[target].append([now, 1])
            if done:
                break
            time.sleep(INTERVAL)
    print(json.dumps(runs, sort_keys=True))


def main(targets):
    if targets[:1] == ['--loop']:
        return loop(targets[1], targets[2], targets[3:])
    with ThreadPoolExecutor(max_workers=32) as pool:
        print(json.dumps(dict(pool.map(probe, targets)), sort_keys=True))


if __name__ == '__main__':
    main(sys.argv[1:])
