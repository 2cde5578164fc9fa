# -*- coding: utf-8 -*-
# Copyright: wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fleet benchmark: N simulated MI hosts (local connection, one MI home each, in a temp folder).

Three playbooks run on the same inventory: the two-ping baseline, the mi_ports role (ours) and the
peer approach (the whole deployment.toml rendered from a template). Each run is one
ansible-playbook process; the callback in callback_plugins/ counts tasks and module executions
per host and times every task. Nothing outside the temp folder is touched; no firewall, no service.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PLAYBOOKS = {
    'baseline': os.path.join(HERE, 'playbooks', 'baseline.yml'),
    'one_ping': os.path.join(HERE, 'playbooks', 'one_ping.yml'),
    'ours': os.path.join(HERE, 'playbooks', 'ours.yml'),
    'peer': os.path.join(HERE, 'playbooks', 'peer.yml'),
    'startup': os.path.join(HERE, 'playbooks', 'startup.yml'),
}
SAMPLE = os.path.join(ROOT, 'playbooks', 'files', 'sample-deployment.toml')
OFFSET = 3
PORTS = {'http': 8380}


class Fleet(object):
    """An inventory of simulated hosts under one temp folder, and the playbook runs on it."""

    def __init__(self, workdir, hosts, forks, pipelining, logs, python=None, prefix='mi-host', instances=None):
        self.workdir = workdir
        self.names = ['%s-%03d' % (prefix, index) for index in range(1, hosts + 1)]
        self.forks = forks
        self.pipelining = pipelining
        self.logs = logs
        self.python = python or os.path.join(os.path.dirname(sys.executable), 'python')
        self.instances = instances or {}  # host -> number of MI instances (default 1)
        self.inventory = os.path.join(workdir, 'inventory.yml')
        self.interpreters = {}  # host -> interpreter path, when counting interpreter launches
        os.makedirs(logs, exist_ok=True)

    # -- layout ---------------------------------------------------------------------------------
    def homes(self, host, kind):
        count = self.instances.get(host, 1)
        return [os.path.join(self.workdir, 'homes', host, '%s-%d' % (kind, index)) for index in range(1, count + 1)]

    def _host_vars(self, host):
        ours, peer = self.homes(host, 'ours'), self.homes(host, 'peer')
        variables = {'peer_instances': [{'home': home, 'offset': OFFSET + index, 'ports': PORTS}
                                        for index, home in enumerate(peer)]}
        if len(ours) == 1:
            variables['mi_ports_home'] = ours[0]
        else:
            variables['mi_ports_instances'] = [
                {'name': 'mi%d' % index, 'home': home, 'offset': OFFSET + index, 'ports': PORTS}
                for index, home in enumerate(ours)]
        if host in self.interpreters:
            variables['ansible_python_interpreter'] = self.interpreters[host]
        return variables

    def write_inventory(self):
        group_vars = {
            'ansible_connection': 'local',
            'ansible_python_interpreter': self.python,
            'mi_ports_firewall': 'none',
            'mi_ports_offset': OFFSET,
            'mi_ports_ports': PORTS,
        }
        hosts = dict((host, self._host_vars(host)) for host in self.names)
        with open(self.inventory, 'w') as handle:
            yaml.safe_dump({'all': {'children': {'mi_fleet': {'hosts': hosts, 'vars': group_vars}}}}, handle)

    def reset(self, kind):
        """Fresh copies of the sample deployment.toml in every home of kind ('ours' or 'peer')."""
        for host in self.names:
            for home in self.homes(host, kind):
                os.makedirs(os.path.join(home, 'conf'), exist_ok=True)
                shutil.copyfile(SAMPLE, os.path.join(home, 'conf', 'deployment.toml'))

    def snapshot(self, kind):
        digests = {}
        for host in self.names:
            for home in self.homes(host, kind):
                with open(os.path.join(home, 'conf', 'deployment.toml'), 'rb') as handle:
                    digests[home] = hashlib.sha256(handle.read()).hexdigest()
        return digests

    # -- counting interpreter launches (ground truth for module executions) ----------------------
    def count_interpreter_launches(self):
        """Give every host its own interpreter: a shell wrapper that logs the host, then runs Python."""
        folder = os.path.join(self.workdir, 'interpreters')
        os.makedirs(folder, exist_ok=True)
        self.launch_log = os.path.join(self.workdir, 'launches.log')
        wrapper = os.path.join(folder, 'python-logging-launches')
        with open(wrapper, 'w') as handle:
            handle.write('#!/bin/sh\necho "${0##*/}" >> %s\nexec %s "$@"\n' % (self.launch_log, self.python))
        os.chmod(wrapper, 0o755)
        for host in self.names:
            link = os.path.join(folder, host)
            if not os.path.lexists(link):
                os.symlink(wrapper, link)
            self.interpreters[host] = link

    def _launches(self):
        counts = dict((host, 0) for host in self.names)
        if os.path.exists(self.launch_log):
            with open(self.launch_log) as handle:
                for line in handle:
                    counts[line.strip()] = counts.get(line.strip(), 0) + 1
            os.unlink(self.launch_log)
        return counts

    # -- running ------------------------------------------------------------------------------
    def _env(self, counts_file):
        env = dict(os.environ)
        env.update({
            'ANSIBLE_CONFIG': os.path.join(ROOT, 'ansible.cfg'),
            'ANSIBLE_FORKS': str(self.forks),
            'ANSIBLE_PIPELINING': 'true' if self.pipelining else 'false',
            'ANSIBLE_CALLBACK_PLUGINS': os.path.join(HERE, 'callback_plugins'),
            'ANSIBLE_CALLBACKS_ENABLED': 'bench_count',
            'ANSIBLE_REMOTE_TMP': os.path.join(self.workdir, 'ansible-remote-tmp'),
            'ANSIBLE_LOCAL_TEMP': os.path.join(self.workdir, 'ansible-local-tmp'),
            'ANSIBLE_NOCOLOR': '1',
            'BENCH_COUNT_FILE': counts_file,
        })
        return env

    def run(self, kind, label, limit=None):
        """Run one playbook on the inventory (or the hosts of limit); wall time, counts and the log file."""
        counts_file = os.path.join(self.workdir, 'counts-%s.json' % label)
        log = os.path.join(self.logs, '%s.log' % label)
        command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'),
                   '-i', self.inventory, PLAYBOOKS[kind]] + (['--limit', limit] if limit else [])
        with open(log, 'w') as handle:
            start = time.perf_counter()
            code = subprocess.call(command, stdout=handle, stderr=subprocess.STDOUT, env=self._env(counts_file),
                                   cwd=ROOT)
            wall = time.perf_counter() - start
        result = {'label': label, 'playbook': kind, 'hosts': len(self.names), 'rc': code, 'wall_s': wall,
                  'per_host_ms': wall * 1e3 / len(self.names), 'log': os.path.relpath(log, ROOT),
                  'load_avg_1m': os.getloadavg()[0]}
        result.update(summarize(counts_file, self.names))
        if self.interpreters:
            result['interpreter_launches'] = self._launches()
        return result


def summarize(counts_file, names):
    """Per-host averages (and min/max) of the callback counts, changed hosts and the slowest tasks."""
    if not os.path.exists(counts_file):
        return {'counts': None}
    with open(counts_file) as handle:
        data = json.load(handle)
    hosts = data['hosts']
    summary = {}
    for field in ('executed', 'skipped', 'module_executions', 'controller_only'):
        values = [hosts.get(name, {}).get(field, 0) for name in names]
        summary[field] = {'mean': statistics.mean(values), 'min': min(values), 'max': max(values)}
    summary['hosts_changed'] = sum(1 for name in names if hosts.get(name, {}).get('changed', 0))
    summary['hosts_failed'] = sum(1 for name in names if hosts.get(name, {}).get('failed', 0))
    summary['by_task'] = hosts.get(names[0], {}).get('by_task', {})
    return {'counts': summary, 'tasks': data['tasks']}


def median_of(runs, field='wall_s'):
    return statistics.median(run[field] for run in runs)
