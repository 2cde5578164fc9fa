"""Stand-in for WSO2's Integration Control Plane (ICP 2.0) on the test hosts (a test double: ICP is not
downloadable here). It records what MI's ICP agent registers and calls back the Management API port the agent
advertises, as ICP does, so that a test can see what ICP would be told and whether it could reach MI.

  icp_standin.py serve --cert C --key K [--port 9445] [--record FILE]
      HTTPS on 0.0.0.0:PORT; every POST (the agent's /icp/heartbeat and /icp/deltaHeartbeat) is answered
      {"acknowledged": true} and appended to FILE as one JSON line: the path, the peer, the runtime's name,
      runtimeHostname and runtimePort, and "callback": "ok" when a TCP connect to runtimeHostname:runtimePort
      succeeded within 2 s, else why not. Nothing else is called.
  icp_standin.py make-cert DIR
      writes DIR/icp.crt and DIR/icp.key, a self-signed certificate (run on the controller: it needs the
      `cryptography` package of requirements.txt; the server itself uses the standard library only).

What the real agent sends is read from MI's ICPHeartBeatComponent.java (wso2/product-integrator-mi): the fields
kept here are the ones the port checks need. Its JWT (HMAC with icp_config.secret) is not checked.
"""

import datetime
import json
import os
import socket
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CALLBACK_TIMEOUT = 2.0
KEPT = ('runtime', 'runtimeType', 'status', 'environment', 'project', 'component', 'runtimeHostname', 'runtimePort')
_LOCK = threading.Lock()


def callback(host, port):
    """'ok' when a TCP connect to host:port succeeds within CALLBACK_TIMEOUT, else the reason."""
    try:
        with socket.create_connection((host, int(port)), timeout=CALLBACK_TIMEOUT):
            return 'ok'
    except socket.timeout:
        return 'no answer within %g s' % CALLBACK_TIMEOUT
    except (OSError, ValueError) as exc:
        return getattr(exc, 'strerror', None) or str(exc)


class Handler(BaseHTTPRequestHandler):
    record = None

    def do_POST(self):  # noqa: N802 - the name http.server calls
        length = int(self.headers.get('Content-Length') or 0)
        try:
            body = json.loads(self.rfile.read(length) or b'{}')
        except ValueError:
            body = {}
        entry = dict((key, body.get(key)) for key in KEPT)
        entry.update(path=self.path, peer=self.client_address[0],
                     time=datetime.datetime.now(datetime.timezone.utc).isoformat())
        if entry['runtimeHostname'] and entry['runtimePort']:
            entry['callback'] = callback(entry['runtimeHostname'], entry['runtimePort'])
        with _LOCK, open(self.record, 'a', encoding='utf-8') as handle:
            handle.write(json.dumps(entry, sort_keys=True) + '\n')
        answer = json.dumps({'acknowledged': True}).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        sys.stderr.write('icp-standin: %s\n' % (format % args))


def serve(cert, key, port, record):
    os.makedirs(os.path.dirname(record) or '.', exist_ok=True)
    Handler.record = record
    server = ThreadingHTTPServer(('0.0.0.0', port), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    sys.stderr.write('icp-standin: listening on %d, recording to %s\n' % (port, record))
    server.serve_forever()


def make_cert(folder):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'icp-standin')])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256()))
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, 'icp.crt'), 'wb') as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(os.path.join(folder, 'icp.key'), 'wb') as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))


def main(argv):
    if len(argv) == 2 and argv[0] == 'make-cert':
        return make_cert(argv[1])
    options = dict(zip(argv[1::2], argv[2::2]))
    if argv[:1] != ['serve'] or not {'--cert', '--key'} <= set(options):
        sys.exit(__doc__)
    return serve(options['--cert'], options['--key'], int(options.get('--port', 9445)),
                 options.get('--record', '/var/lib/icp-standin/registrations.jsonl'))


if __name__ == '__main__':
    main(sys.argv[1:])
