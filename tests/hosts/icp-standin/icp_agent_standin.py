"""Stand-in for the ICP agent of WSO2 Micro Integrator 4.6 (a test double: MI is not downloadable here; in MI the
agent is a thread of the JVM, here a process beside the MI stand-in). Written from MI's ICPHeartBeatComponent.java
(wso2/product-integrator-mi, components/org.wso2.micro.integrator.initializer/.../initializer/dashboard/), NOT from
the collection's code, so that it checks the collection independently:

* it runs only when [icp_config] enabled is "true" (any case) and a secret is set;
* every heartbeat_interval seconds (default 10; a value Integer.parseInt refuses gives 10) it POSTs the heartbeat
  to <icp_url>/icp/heartbeat (icp_url default https://localhost:9445; TLS verified unless ssl_verify = false);
* runtimeHostname = [server] hostname, else this host's address (carbon.local.ip), else localhost;
* runtimePort = 9164 - 10 + [server] offset, or 9164 when the offset is 0, unset or not a number: it never reads
  internal_https_api_port nor -DportOffset.
Placeholders ($env{}, $sys{}) are not resolved here (the scenario's files have none). Standard library only.

  icp_agent_standin.py --home /opt/mi/c [--runtime NAME]
"""

import json
import socket
import ssl
import sys
import time
import tomllib
import urllib.request

AGENT_PORT = 9164


def setting(config, table, key, default=None):
    value = config.get(table, {}).get(key, default)
    return str(value).lower() if isinstance(value, bool) else value


def java_int(value):
    text = str(value)
    digits = text[1:] if text[:1] in '+-' else text
    if not digits.isdigit():
        raise ValueError(text)
    return int(text)


def heartbeat(config, runtime):
    hostname = setting(config, 'server', 'hostname')
    if not hostname:
        try:
            hostname = socket.gethostbyname(socket.gethostname())
        except OSError:
            hostname = 'localhost'
    try:
        offset = java_int(setting(config, 'server', 'offset', 0))
    except ValueError:
        offset = 0
    return {'runtime': runtime, 'runtimeType': 'MI', 'status': 'RUNNING',
            'environment': setting(config, 'icp_config', 'environment', 'production'),
            'project': setting(config, 'icp_config', 'project', 'default'),
            'component': setting(config, 'icp_config', 'integration', 'default'),
            'runtimeHostname': hostname, 'runtimePort': str(AGENT_PORT - 10 + offset if offset else AGENT_PORT)}


def main(argv):
    options = dict(zip(argv[::2], argv[1::2]))
    home = options.get('--home')
    if not home:
        sys.exit(__doc__)
    with open('%s/conf/deployment.toml' % home, 'rb') as handle:
        config = tomllib.load(handle)
    if str(setting(config, 'icp_config', 'enabled', 'false')).lower() != 'true':
        sys.exit('icp-agent-standin: icp_config.enabled is not true: no heartbeat (as MI)')
    if setting(config, 'icp_config', 'secret') is None:
        sys.exit('icp-agent-standin: icp_config.secret is missing: MI refuses to start the ICP heartbeat')
    try:
        interval = java_int(setting(config, 'icp_config', 'heartbeat_interval', 10))
    except ValueError:
        interval = 10
    url = str(setting(config, 'icp_config', 'icp_url', 'https://localhost:9445')) + '/icp/heartbeat'
    context = ssl.create_default_context()
    if str(setting(config, 'icp_config', 'ssl_verify', 'true')).lower() == 'false':
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    body = json.dumps(heartbeat(config, options.get('--runtime', home.rstrip('/').split('/')[-1]))).encode()
    while True:
        request = urllib.request.Request(url, data=body, headers={'Content-Type': 'application/json'})
        try:
            with urllib.request.urlopen(request, timeout=5, context=context) as answer:
                answer.read()
        except OSError as exc:
            sys.stderr.write('icp-agent-standin: heartbeat to %s failed: %s\n' % (url, exc))
        time.sleep(max(interval, 1))


if __name__ == '__main__':
    main(sys.argv[1:])
