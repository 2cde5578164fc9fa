# -*- coding: utf-8 -*-
# Copyright: wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark on real podman test hosts: the mi_ports role with a real firewall, per backend.

Part of `make bench` (skip it with `--no-podman`; `--podman-only` runs only this). For each backend
(nftables via auto with nftables.service active, firewalld, ufw via auto) it starts --podman-hosts containers of
the molecule test-host image (systemd, NET_ADMIN, no network but a private podman network of its own) with that
firewall active, each with one MI instance, plus one host per backend with three instances. It converges the
role once and re-runs it on all of them (the module executions of a converged host), then alternates one-ping
and two-ping runs with converged re-runs of the role on the one-instance hosts (the time against pings on the
same hosts). Every host's Python is a wrapper that logs each launch, so module executions per host are counted
on the host itself (ground truth): a converged host runs one instances module, the firewall included. The
containers and the network are removed at the end.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import statistics
import subprocess
import time

import yaml

import bench_fleet

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
IMAGE = os.environ.get('MI_TESTHOST_IMAGE', 'localhost/wso2ops-mi-testhost:bookworm')
NETWORK = 'wso2ops-mi-fw-bench'
SUBNET = '10.89.159.0/24'
BACKENDS = ('nftables', 'firewalld', 'ufw')
MULTI_INSTANCES = 3
SAMPLE = os.path.join(ROOT, 'molecule', 'shared', 'files', 'deployment.toml')
WRAPPER = '/usr/local/bin/python3-counted'
LAUNCHES = '/var/tmp/python-launches'
PREPARE = {
    # The operator's ruleset loaded by nftables.service: what auto detects as an active nftables firewall.
    'nftables': ('printf "flush ruleset\\ntable inet operator_filter {\\n chain input {\\n'
                 '  type filter hook input priority filter; policy accept;\\n }\\n}\\n" > /etc/nftables.conf'
                 ' && systemctl enable --now nftables.service'),
    'firewalld': 'systemctl enable --now firewalld && firewall-cmd --state',
    'ufw': 'ufw default deny incoming && ufw allow 22/tcp && ufw --force enable',
}


def podman(*args, **kwargs):
    return subprocess.run(['podman'] + list(args), capture_output=True, text=True, check=kwargs.get('check', True))


def host_exec(name, command):
    return podman('exec', name, 'sh', '-c', command).stdout


class PodmanFleet(object):
    """Containers per backend, one inventory, and the playbook runs on them."""

    def __init__(self, workdir, per_backend, forks, pipelining, logs):
        self.workdir = workdir
        # backend -> {host name: number of MI instances}
        self.hosts = dict((backend, dict(
            [('mi-bench-%s-%d' % (backend, index), 1) for index in range(1, per_backend + 1)]
            + [('mi-bench-%s-multi' % backend, MULTI_INSTANCES)])) for backend in BACKENDS)
        self.fleet = bench_fleet.Fleet(workdir, 0, forks, pipelining, logs)
        self.fleet.inventory = os.path.join(workdir, 'podman-inventory.yml')

    def all_names(self):
        return [name for hosts in self.hosts.values() for name in sorted(hosts)]

    # -- hosts ----------------------------------------------------------------------------------
    def start(self):
        self.stop()
        podman('network', 'create', '--subnet', SUBNET, NETWORK)
        for name in self.all_names():
            podman('run', '-d', '--name', name, '--hostname', name, '--network', NETWORK, '--cap-add', 'NET_ADMIN',
                   '--cap-add', 'NET_RAW', '--systemd=always', IMAGE, '/sbin/init')
        for name in self.all_names():
            for _attempt in range(90):
                state = podman('exec', name, 'systemctl', 'is-system-running', check=False).stdout.strip()
                if state in ('running', 'degraded'):
                    break
                time.sleep(1)

    def prepare(self):
        with open(SAMPLE) as handle:
            sample = handle.read()
        for backend, hosts in self.hosts.items():
            for name, instances in sorted(hosts.items()):
                for instance in range(1, instances + 1):
                    home = '/opt/mi/mi%d/conf' % instance
                    subprocess.run(['podman', 'exec', '-i', name, 'sh', '-c',
                                    'mkdir -p %s && cat > %s/deployment.toml' % (home, home)],
                                   input=sample, text=True, check=True, capture_output=True)
                host_exec(name, PREPARE[backend])
                host_exec(name, 'printf \'#!/bin/sh\\necho x >> %s\\nexec /usr/bin/python3 "$@"\\n\' > %s && chmod 755 %s'
                          % (LAUNCHES, WRAPPER, WRAPPER))

    def stop(self):
        for name in self.all_names():
            podman('rm', '-f', '-t', '2', name, check=False)
        podman('network', 'rm', '-f', NETWORK, check=False)

    def launches(self):
        """Interpreter launches per host since the last call (the wrapper's log), then reset."""
        counts = {}
        for name in self.all_names():
            out = podman('exec', name, 'sh', '-c', 'wc -l < %s 2>/dev/null || echo 0; rm -f %s' % (LAUNCHES, LAUNCHES),
                         check=False).stdout.split()
            counts[name] = int(out[0]) if out else 0
        return counts

    # -- inventory and runs -----------------------------------------------------------------------
    def write_inventory(self):
        groups = {}
        for backend, hosts in self.hosts.items():
            for group, wanted in (('bench_%s' % backend, 1), ('bench_%s_multi' % backend, MULTI_INSTANCES)):
                groups[group] = {'hosts': dict((name, {'mi_ports_instances': [
                    {'name': 'mi%d' % i, 'home': '/opt/mi/mi%d' % i, 'offset': 10 * i, 'ports': {}}
                    for i in range(1, count + 1)]}) for name, count in sorted(hosts.items()) if count == wanted)}
        inventory = {'all': {'children': {'mi_fleet': {'children': groups}}, 'vars': {
            'ansible_connection': 'containers.podman.podman', 'ansible_python_interpreter': WRAPPER,
            # The fleet's ANSIBLE_REMOTE_TMP is a controller path; on these hosts use the default.
            'ansible_remote_tmp': '/root/.ansible/tmp', 'mi_ports_firewall': 'auto', 'mi_ports_management_sources': ['10.89.159.1/32']}}}
        with open(self.fleet.inventory, 'w') as handle:
            yaml.safe_dump(inventory, handle)

    def run(self, kind, label, backend, with_multi):
        """One playbook on the backend's one-instance hosts, and on its three-instance host when with_multi."""
        names = sorted(name for name, count in self.hosts[backend].items() if with_multi or count == 1)
        self.launches()  # reset the counters
        self.fleet.names = names
        result = self.fleet.run(kind, label, limit=','.join(names))
        launches = self.launches()
        result['interpreter_launches'] = dict((name, launches[name]) for name in names)
        result['instances'] = dict((name, self.hosts[backend][name]) for name in names)
        return result


def section(args, workdir, logs, say):
    """First converge, a converged re-run, and alternated baseline / re-run rounds, per backend."""
    fleet = PodmanFleet(workdir, args.podman_hosts, args.forks, args.pipelining, logs)
    results = {'hosts_per_backend': args.podman_hosts, 'rounds': args.podman_repeat, 'backends': {}}
    try:
        say('podman: starting %d test hosts' % len(fleet.all_names()))
        fleet.start()
        fleet.prepare()
        fleet.write_inventory()
        for backend in BACKENDS:
            runs = [_timed(fleet, 'ours', 'podman-%s-ours-%s' % (backend, label), backend, True, say)
                    for label in ('first', 'rerun-0')]
            kinds = ['one_ping', 'baseline', 'ours']
            for index in range(1, args.podman_repeat + 1):
                order = kinds[index % 3:] + kinds[:index % 3]  # rotated, so that drift hits every kind alike
                runs += [_timed(fleet, kind, 'podman-%s-%s-rerun-%d' % (backend, kind, index), backend, False, say)
                         for kind in order]
            results['backends'][backend] = summarize(runs, args.podman_repeat)
    finally:
        fleet.stop()
    return results


def _timed(fleet, kind, label, backend, with_multi, say):
    result = fleet.run(kind, label, backend, with_multi)
    say('%-34s %6.1f s  rc=%d' % (label, result['wall_s'], result['rc']))
    return result


def _paired(runs, rounds, baseline):
    """Median over rounds of (converged re-run / baseline run) of the same round."""
    ratios = []
    for index in range(1, rounds + 1):
        ours = [run for run in runs if run['label'].endswith('-ours-rerun-%d' % index)]
        base = [run for run in runs if run['label'].endswith('-%s-rerun-%d' % (baseline, index))]
        if ours and base:
            ratios.append(ours[0]['wall_s'] / base[0]['wall_s'])
    return statistics.median(ratios) if ratios else None


def _median(runs, part):
    return statistics.median([run['wall_s'] for run in runs if part in run['label']] or [0])


def summarize(runs, rounds):
    """Per backend: module executions per converged host by instance count, ratios to one and two pings."""
    rerun = next(run for run in runs if run['label'].endswith('-ours-rerun-0'))
    first = next(run for run in runs if run['label'].endswith('-ours-first'))
    by_task = (rerun.get('counts') or {}).get('by_task', {})
    return {
        'runs': runs,
        'launches_per_host_rerun': rerun['interpreter_launches'],
        'instances_per_host': rerun['instances'],
        'hosts_changed_rerun': (rerun.get('counts') or {}).get('hosts_changed'),
        'hosts_failed': max((run.get('counts') or {}).get('hosts_failed', 0) for run in runs),
        'failed_runs': sum(1 for run in runs if run['rc'] != 0),
        'first_converge_s': first['wall_s'],
        'first_launches_per_host': first['interpreter_launches'],
        'callback_modules_first_host': dict((task, entry['modules']) for task, entry in by_task.items()),
        'ratio_rerun_vs_two_pings': _paired(runs, rounds, 'baseline'),
        'ratio_rerun_vs_one_ping': _paired(runs, rounds, 'one_ping'),
        'rerun_s_median': statistics.median([run['wall_s'] for run in runs if '-ours-rerun-' in run['label']
                                             and not run['label'].endswith('-0')] or [0]),
        'baseline_s_median': _median(runs, '-baseline-'),
        'one_ping_s_median': _median(runs, '-one_ping-'),
    }


def report(results):
    print('\nPodman test hosts: %d one-instance hosts and one %d-instance host per backend, real firewalls, podman'
          ' connection; converged re-run of the one-instance hosts against one and two pings on the same hosts,'
          ' median of %d rotated rounds' % (results['hosts_per_backend'], MULTI_INSTANCES, results['rounds']))
    header = ('backend', 'launches/host (instances)', 'rerun s', '1 ping s', '2 pings s', 'vs 1 ping', 'vs 2',
              'changed, each re-run')
    print('%-10s %-30s %9s %9s %9s %9s %9s  %s' % header)
    for backend, data in results['backends'].items():
        launches = ', '.join('%d (%d)' % (data['launches_per_host_rerun'][name], data['instances_per_host'][name])
                             for name in sorted(data['launches_per_host_rerun']))
        print('%-10s %-30s %9.1f %9.1f %9.1f %8.2fx %8.2fx  %s' % (
            backend, launches, data['rerun_s_median'], data['one_ping_s_median'], data['baseline_s_median'],
            data['ratio_rerun_vs_one_ping'] or 0, data['ratio_rerun_vs_two_pings'] or 0,
            ' '.join(str((run.get('counts') or {}).get('hosts_changed')) for run in data['runs']
                     if '-ours-rerun-' in run['label'])))
