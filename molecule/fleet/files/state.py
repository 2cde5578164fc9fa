"""Print the state of a fleet host as JSON, read from outside the collection's modules (run by ansible.builtin.script,
not through Ansible's Python): per instance the checksum and time of its deployment.toml and its unit's PID, state and
start; the firewall as its own tools print it; whether the role's interpreter imports tomlkit; how many module
executions the counting wrapper logged; and the probes each stand-in answered since SINCE (its journal).

    state.py FIREWALL PYTHON [SINCE]
"""

import hashlib
import json
import os
import subprocess
import sys

INSTANCES = ('a', 'b')
LAUNCHES = '/root/python-launches.log'


def output(*argv):
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout


def main(firewall, python, since=None):
    state = {'files': {}, 'units': {}, 'answers': {}}
    for name in INSTANCES:
        path = '/opt/mi/%s/conf/deployment.toml' % name
        with open(path, 'rb') as handle:
            state['files'][name] = {'sha256': hashlib.sha256(handle.read()).hexdigest(), 'mtime': os.stat(path).st_mtime}
        show = dict(line.split('=', 1) for line in output(
            'systemctl', 'show', '-p', 'MainPID,ActiveState,ExecMainStartTimestamp', 'mi-standin@%s' % name).splitlines())
        state['units'][name] = {'pid': int(show['MainPID']), 'active': show['ActiveState'],
                                'started': show['ExecMainStartTimestamp']}
    if firewall == 'nftables':
        state['firewall'] = output('nft', '-s', 'list', 'ruleset')
    else:
        state['firewall'] = output('ufw', 'status', 'verbose') + output('ufw', 'show', 'added')
    state['tomlkit'] = subprocess.run([python, '-c', 'import tomlkit'], capture_output=True, check=False).returncode == 0
    state['launches'] = 0
    if os.path.exists(LAUNCHES):
        with open(LAUNCHES, encoding='utf-8') as handle:
            state['launches'] = len(handle.read().splitlines())
    if since:
        journal = output('journalctl', '-o', 'json', '--no-pager', '-u', 'mi-standin@a', '-u', 'mi-standin@b')
        for line in journal.splitlines():
            entry = json.loads(line)
            message, when = entry.get('MESSAGE'), int(entry['__REALTIME_TIMESTAMP']) / 1e6
            if isinstance(message, str) and ': /healthz answered ' in message and when > float(since):
                instance = message.split('instance=', 1)[1].split()[0]
                state['answers'].setdefault(instance, []).append([when, message.rsplit(' ', 1)[1]])
    print(json.dumps(state, sort_keys=True))


if __name__ == '__main__':
    main(*sys.argv[1:4])
