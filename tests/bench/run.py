# -*- coding: utf-8 -*-
# Copyright: wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make bench`: engine and fleet benchmarks in one invocation; a table on stdout and results JSON.

    python tests/bench/run.py                 # engine + podman hosts + fleet N=50 (+ N=500, the scale check) + peer
    python tests/bench/run.py --no-podman     # without the podman test hosts (they need root and podman)
    python tests/bench/run.py --engine-only   # seconds, no ansible-playbook

Targets are printed with PASS/MISS; nothing here fails on a time (tests never assert times).
See tests/bench/README.md for what is measured and how.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
# The collection is imported as ansible_collections.wso2ops.micro_integrator (make venv links it).
if os.path.join(ROOT, '.build', 'collections') not in sys.path:
    sys.path.append(os.path.join(ROOT, '.build', 'collections'))

import bench_capps  # noqa: E402  pylint: disable=wrong-import-position
import bench_engine  # noqa: E402  pylint: disable=wrong-import-position
import bench_fleet  # noqa: E402  pylint: disable=wrong-import-position
import bench_podman  # noqa: E402  pylint: disable=wrong-import-position

CORPUS = os.path.join(os.path.dirname(ROOT), 'shared', 'corpus', 'wso2-micro-integrator')
RESULTS = os.path.join(HERE, 'results')
MAX_HOSTS = 500
TARGET_RERUN_RATIO = 1.0
TARGET_PODMAN_RATIO = 0.7  # the converged role against two pings, with a real firewall
TARGET_FLAT = 0.15
TARGET_MODULES_CONVERGED = 1  # the instances module, the firewall included, whatever the number of instances
TARGET_MODULES_FIRST = 2  # plus tomlkit, when a host lacks it


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--hosts', type=int, default=50, help='fleet size N (default 50, at most %d)' % MAX_HOSTS)
    parser.add_argument('--scale-hosts', type=int, default=500,
                        help='second fleet size for the per-host flatness check (default 500; 0 skips it)')
    parser.add_argument('--forks', type=int, default=10, help='ansible forks, the same for every playbook (10)')
    parser.add_argument('--repeat', type=int, default=3,
                        help='alternating rounds of baseline / ours / peer re-runs at N (default 3)')
    parser.add_argument('--scale-repeat', type=int, default=1, help='alternating rounds at the scale size (1)')
    parser.add_argument('--pipelining', action='store_true', help='ANSIBLE_PIPELINING for every playbook')
    parser.add_argument('--engine-only', action='store_true')
    parser.add_argument('--fleet-only', action='store_true')
    parser.add_argument('--no-peer', action='store_true', help='skip the peer approach')
    parser.add_argument('--engine-seconds', type=float, default=6.0, help='time budget per engine case (6)')
    parser.add_argument('--keep', action='store_true', help='keep the temp folder of the simulated hosts')
    parser.add_argument('--no-podman', dest='podman', action='store_false',
                        help='skip the role on real podman test hosts with each firewall backend (root, podman)')
    parser.add_argument('--podman-only', action='store_true', help='only the podman test hosts')
    parser.add_argument('--podman-hosts', type=int, default=3,
                        help='one-instance podman test hosts per backend, besides its three-instance host (3)')
    parser.add_argument('--podman-repeat', type=int, default=3, help='alternated rounds on the podman hosts (3)')
    args = parser.parse_args(argv)
    if not 1 <= args.hosts <= MAX_HOSTS or not 0 <= args.scale_hosts <= MAX_HOSTS:
        parser.error('--hosts and --scale-hosts must be between 1 and %d' % MAX_HOSTS)
    return args


# -- fleet ---------------------------------------------------------------------------------------
def _say(message):
    print('bench: %s' % message, file=sys.stderr)
    sys.stderr.flush()


def _run(fleet, kind, label, runs):
    result = fleet.run(kind, label)
    _say('%-28s %6.1f s  rc=%d  load %.1f' % (label, result['wall_s'], result['rc'], result['load_avg_1m']))
    runs.append(result)
    return result


def _alternate(fleet, kinds, rounds, prefix, runs):
    """Re-runs of each kind, the order rotated every round so that drift hits all of them alike."""
    for index in range(rounds):
        order = kinds[index % len(kinds):] + kinds[:index % len(kinds)]
        for kind in order:
            _run(fleet, kind, '%s-%s-rerun-%d' % (prefix, kind, index + 1), runs)


def _converged(fleet, kinds, before):
    return dict((kind, fleet.snapshot(kind) == before[kind]) for kind in kinds)


def fleet_section(args, workdir, hosts, rounds, with_peer, prefix):
    """First converge and alternated re-runs at one fleet size."""
    fleet = bench_fleet.Fleet(os.path.join(workdir, prefix), hosts, args.forks, args.pipelining,
                              os.path.join(RESULTS, 'logs'))
    os.makedirs(fleet.workdir)
    fleet.write_inventory()
    kinds = ['ours', 'peer'] if with_peer else ['ours']
    runs = []
    # No separate warm-up: the probe runs first and leaves Python's and the OS's caches warm.
    _run(fleet, 'startup', '%s-startup-1' % prefix, runs)
    for kind in kinds:
        fleet.reset(kind)
        _run(fleet, kind, '%s-%s-first' % (prefix, kind), runs)
    converged = dict((kind, fleet.snapshot(kind)) for kind in kinds)
    _alternate(fleet, ['baseline'] + kinds, rounds, prefix, runs)
    _run(fleet, 'startup', '%s-startup-2' % prefix, runs)
    return {'hosts': hosts, 'forks': args.forks, 'pipelining': args.pipelining, 'rounds': rounds,
            'runs': runs, 'files_unchanged_by_reruns': _converged(fleet, kinds, converged),
            'startup_s': bench_fleet.median_of([run for run in runs if '-startup-' in run['label']])}


def probe_section(args, workdir):
    """Ground truth on two hosts: interpreter launches per host, with k = 1 and k = 3 MI instances."""
    fleet = bench_fleet.Fleet(os.path.join(workdir, 'probe'), 2, args.forks, args.pipelining,
                              os.path.join(RESULTS, 'logs'), prefix='mi-probe', instances={'mi-probe-002': 3})
    os.makedirs(fleet.workdir)
    fleet.count_interpreter_launches()
    fleet.write_inventory()
    runs = []
    for kind in ('ours', 'peer'):
        fleet.reset(kind)
        _run(fleet, kind, 'probe-%s-first' % kind, runs)
        _run(fleet, kind, 'probe-%s-rerun' % kind, runs)
    _run(fleet, 'baseline', 'probe-baseline', runs)
    return {'instances': {'mi-probe-001': 1, 'mi-probe-002': 3}, 'runs': runs}


# -- report ----------------------------------------------------------------------------------------
def _runs(section, label_part):
    return [run for run in section['runs'] if label_part in run['label']]


def fleet_rows(section):
    rows = []
    for title, part in (('baseline: 2x ping', '-baseline-rerun-'), ('ours: first converge', '-ours-first'),
                        ('ours: converged re-run', '-ours-rerun-'), ('peer: first converge', '-peer-first'),
                        ('peer: converged re-run', '-peer-rerun-')):
        runs = _runs(section, part)
        if not runs:
            continue
        median = bench_fleet.median_of(runs)
        counts = runs[0]['counts'] or {}
        rows.append({
            'row': title, 'runs': len(runs), 'wall_s': median, 'per_host_ms': median * 1e3 / section['hosts'],
            'net_per_host_ms': (median - section['startup_s']) * 1e3 / section['hosts'],
            'tasks_per_host': counts.get('executed', {}).get('mean'), 'skipped_per_host': counts.get('skipped', {}).get('mean'),
            'modules_per_host': counts.get('module_executions', {}).get('mean'),
            'hosts_changed': max(run['counts']['hosts_changed'] for run in runs if run['counts']),
            'failed_runs': sum(1 for run in runs if run['rc'] != 0),
        })
    return rows


def _row(section, title):
    return next((row for row in section['rows'] if row['row'] == title), None)


def paired_ratio(section, kind):
    """Median over rounds of (kind re-run / baseline) of the same round."""
    ratios = []
    for index in range(1, section['rounds'] + 1):
        mine = _runs(section, '-%s-rerun-%d' % (kind, index))
        base = _runs(section, '-baseline-rerun-%d' % index)
        if mine and base:
            ratios.append(mine[0]['wall_s'] / base[0]['wall_s'])
    return statistics.median(ratios) if ratios else None


def targets(results):
    found = []
    for case in results.get('engine', {}).get('cases', []):
        found.append(('engine, %s, %s: <= %.1fx bare parse+dumps' % (case['short'], case['kind'], case['target']),
                      '%.2fx' % case['ratio_median_paired'], case['pass']))
    additions = results.get('engine', {}).get('additions')
    if additions and additions['files']:
        found.append(('engine, every corpus file (%d), edit adding a missing table: <= %.1fx (worst)'
                      % (additions['files'], additions['target']),
                      '%.2fx (median %.2fx)' % (additions['worst']['ratio'], additions['median']), additions['pass']))
    capps = results.get('capps')
    if capps:
        found.append(('instances module converged, %d CApps of %d MB per instance: <= %.1fx without'
                      % (capps['capps_per_instance'], capps['mb_per_capp'], capps['target']),
                      '%.2fx' % capps['ratio_median_paired'], capps['pass']))
    main = results.get('fleet')
    if main:
        ratio = main['ratio_ours_rerun_vs_baseline']
        found.append(('fleet re-run <= %.1fx two-ping baseline (N=%d)' % (TARGET_RERUN_RATIO, main['hosts']),
                      '%.2fx' % ratio, ratio <= TARGET_RERUN_RATIO))
        rerun = _row(main, 'ours: converged re-run')
        found.append(('fleet re-run: 0 hosts changed', '%d changed' % rerun['hosts_changed'],
                      rerun['hosts_changed'] == 0 and main['files_unchanged_by_reruns'].get('ours', False)))
    probe = results.get('probe')
    if probe:
        for kind, target in (('rerun', TARGET_MODULES_CONVERGED), ('first', TARGET_MODULES_FIRST)):
            counts = probe['modules_per_host_%s' % kind]
            found.append(('%s, firewall none: <= %d module executions per host (k = 1 and 3 instances)'
                          % ('converged host' if kind == 'rerun' else 'first converge', target),
                          ', '.join('%s: %d' % item for item in sorted(counts.items())),
                          max(counts.values()) <= target))
    for backend, data in sorted(results.get('podman', {}).get('backends', {}).items()):
        launches = data['launches_per_host_rerun']
        ok = data['failed_runs'] == 0
        found.append(('podman %s: <= %d module execution per converged host, k = 1 and %d instances'
                      % (backend, TARGET_MODULES_CONVERGED, bench_podman.MULTI_INSTANCES),
                      ', '.join('k=%d: %d' % (data['instances_per_host'][name], launches[name]) for name in sorted(launches))
                      if ok else '%d runs failed' % data['failed_runs'],
                      ok and 0 < max(launches.values()) <= TARGET_MODULES_CONVERGED))
        ratio = data['ratio_rerun_vs_two_pings']
        found.append(('podman %s: converged re-run <= %.1fx two pings on the same hosts' % (backend, TARGET_PODMAN_RATIO),
                      '%.2fx (%.2fx one ping)' % (ratio, data['ratio_rerun_vs_one_ping']), ratio <= TARGET_PODMAN_RATIO))
        found.append(('podman %s: 0 hosts changed on the re-run' % backend, '%s changed' % data['hosts_changed_rerun'],
                      data['hosts_changed_rerun'] == 0 and data['hosts_failed'] == 0))
    scale = results.get('scale')
    if main and scale:
        baseline = _change(main, scale, 'baseline: 2x ping')
        for title in ('ours: first converge', 'ours: converged re-run'):
            change = _change(main, scale, title)
            found.append(('%s: net per-host cost at N=%d within %d%% of N=%d' % (
                title, scale['hosts'], TARGET_FLAT * 100, main['hosts']),
                '%+.0f%% (baseline %+.0f%%)' % (change * 100, baseline * 100), abs(change) <= TARGET_FLAT))
    return [{'target': name, 'measured': value, 'pass': ok} for name, value, ok in found]


def _change(small, big, title):
    return _row(big, title)['net_per_host_ms'] / _row(small, title)['net_per_host_ms'] - 1


def _fmt(value, spec):
    return '-' if value is None else format(value, spec)


def print_engine(engine):
    edit = (engine['tomlkit'], engine['edit']['offset'], json.dumps(engine['edit']['ports']))
    print('\nEngine: edit_ports (text -> text) vs bare tomlkit.parse + tomlkit.dumps of the same text'
          ' (tomlkit %s; edit: offset %s, ports %s)' % edit)
    header = '%-58s %6s %8s %9s %9s %8s %8s %6s'
    print(header % ('file', 'lines', 'edit', 'bare min', 'edit min', 'ratio', 'ratio', 'rounds'))
    print(header % ('', '', '', 'ms', 'ms', 'of min', 'paired', ''))
    for case in engine['cases']:
        print('%-58s %6d %8s %9.2f %9.2f %7.2fx %7.2fx %6d' % (
            case['case'][:58], case['lines'], case['kind'], case['bare_min_ms'], case['edit_min_ms'],
            case['ratio_of_min'], case['ratio_median_paired'], case['rounds']))
    if not engine['corpus_found']:
        print('(corpus folder %s absent: generated file only)' % CORPUS)
    additions = engine.get('additions')
    if additions and additions['files']:
        worst = additions['worst']
        print('Every valid corpus file, an edit that adds a missing table: %d files, median %.2fx, worst %.2fx (%s, %s)'
              % (additions['files'], additions['median'], worst['ratio'], worst['file'][-60:], json.dumps(worst['edit'])))


def print_fleet(section, title):
    print('\n%s: N=%d hosts, forks=%d, pipelining %s, local connection, firewall none; median of %d alternated'
          ' rounds' % (title, section['hosts'], section['forks'], 'on' if section['pipelining'] else 'off',
                       section['rounds']))
    header = ('run', 'runs', 'wall s', 'ms/host', 'net ms/h', 'tasks/host', 'skipped', 'modules/host', 'changed')
    print('%-26s %5s %8s %8s %9s %11s %8s %13s %8s' % header)
    for row in section['rows']:
        print('%-26s %5d %8.1f %8.1f %9.1f %11s %8s %13s %8d' % (
            row['row'], row['runs'], row['wall_s'], row['per_host_ms'], row['net_per_host_ms'],
            _fmt(row['tasks_per_host'], '.1f'),
            _fmt(row['skipped_per_host'], '.1f'), _fmt(row['modules_per_host'], '.1f'), row['hosts_changed']))
    print('net ms/host = (wall - %.1f s start-up of an empty play) / N' % section['startup_s'])
    for kind in ('ours', 'peer'):
        key = 'ratio_%s_rerun_vs_baseline' % kind
        if section.get(key) is not None:
            print('%s converged re-run / baseline (median of per-round ratios): %.2fx' % (kind, section[key]))


def _task_costs(section):
    """{(playbook, task): ms per host} from the first re-run round of each playbook."""
    costs = {}
    for kind in ('baseline', 'ours', 'peer'):
        runs = _runs(section, '-%s-rerun-' % kind)
        for task in (runs[0].get('tasks') or []) if runs else []:
            name = ('%s: %s' % (task['action'].split('.')[-1], task['name'].split(' : ')[-1]))[:62]
            costs[(kind, name)] = task['wall_s'] * 1e3 / section['hosts']
    return costs


def print_slowest_tasks(results):
    """Where the time goes: each task's wall time over all hosts / N, at both fleet sizes."""
    sections = [results[key] for key in ('fleet', 'scale') if key in results]
    costs = [_task_costs(section) for section in sections]
    print('\nWhere the time goes: wall time of each task over all hosts / N, ms per host (first re-run round)')
    print('  %-8s %-62s %s' % ('', 'task', ''.join('%10s' % ('N=%d' % s['hosts']) for s in sections)))
    for key in costs[0]:
        print('  %-8s %-62s %s' % (key[0], key[1], ''.join('%10s' % _fmt(c.get(key), '.1f') for c in costs)))


def print_probe(probe):
    print('\nModule executions per host, counted as interpreter launches on 2 probe hosts'
          ' (mi-probe-001 runs one MI instance, mi-probe-002 three):')
    for run in probe['runs']:
        launches = run.get('interpreter_launches', {})
        print('  %-22s %s' % (run['label'], ', '.join('%s: %d' % item for item in sorted(launches.items()))))


def print_targets(found):
    print('\nTargets (printed, never asserted):')
    for item in found:
        print('  [%s] %-76s %s' % ('PASS' if item['pass'] else 'MISS', item['target'], item['measured']))


# -- main ------------------------------------------------------------------------------------------
def finish_fleet(section):
    section['rows'] = fleet_rows(section)
    for kind in ('ours', 'peer'):
        section['ratio_%s_rerun_vs_baseline' % kind] = paired_ratio(section, kind)
    return section


def finish_probe(probe):
    for kind in ('first', 'rerun'):
        run = next(run for run in probe['runs'] if run['label'] == 'probe-ours-%s' % kind)
        probe['modules_per_host_%s' % kind] = dict(
            ('k=%d' % probe['instances'][host], count) for host, count in run['interpreter_launches'].items())
    return probe


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    started = datetime.datetime.now(datetime.timezone.utc)
    results = {'started': started.isoformat(), 'machine': {'cpus': os.cpu_count(), 'python': platform.python_version(),
                                                           'load_avg_start': os.getloadavg()},
               'args': vars(args)}
    if args.podman_only:
        args.podman = args.engine_only = args.fleet_only = True
    if not args.fleet_only:
        _say('engine benchmark')
        results['engine'] = bench_engine.run(CORPUS, budget_s=args.engine_seconds)
        _say('CApp benchmark (instances module, 20 CApps of 5 MB per instance)')
        results['capps'] = bench_capps.run()
    workdir = tempfile.mkdtemp(prefix='mi-bench-')
    try:
        if args.podman:
            results['podman'] = bench_podman.section(args, workdir, os.path.join(RESULTS, 'logs'), _say)
        if not args.engine_only:
            _say('fleet benchmark in %s' % workdir)
            results['probe'] = finish_probe(probe_section(args, workdir))
            results['fleet'] = finish_fleet(fleet_section(args, workdir, args.hosts, args.repeat, not args.no_peer,
                                                          'n%d' % args.hosts))
            if args.scale_hosts and args.scale_hosts != args.hosts:
                results['scale'] = finish_fleet(fleet_section(args, workdir, args.scale_hosts, args.scale_repeat,
                                                              False, 'n%d' % args.scale_hosts))
    finally:
        if args.keep:
            _say('kept %s' % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    results['machine']['load_avg_end'] = os.getloadavg()
    results['seconds'] = (datetime.datetime.now(datetime.timezone.utc) - started).total_seconds()
    results['targets'] = targets(results)
    report(results)
    save(results, started)
    return 0


def report(results):
    if 'engine' in results:
        print_engine(results['engine'])
    if 'capps' in results:
        print('\nCApps: %s' % bench_capps.describe(results['capps']))
    if 'fleet' in results:
        print_fleet(results['fleet'], 'Fleet')
    if 'scale' in results:
        print_fleet(results['scale'], 'Scale')
    if 'fleet' in results:
        print_slowest_tasks(results)
    if 'probe' in results:
        print_probe(results['probe'])
    if 'podman' in results:
        bench_podman.report(results['podman'])
    print_targets(results['targets'])
    print('\nload average %s at start, %s at end; %d CPUs; %.0f s in all' % (
        ' '.join('%.1f' % x for x in results['machine']['load_avg_start']),
        ' '.join('%.1f' % x for x in results['machine']['load_avg_end']), results['machine']['cpus'],
        results['seconds']))


def save(results, started):
    os.makedirs(RESULTS, exist_ok=True)
    stamp = started.strftime('%Y%m%dT%H%M%SZ')
    for name in ('latest.json', 'bench-%s.json' % stamp):
        with open(os.path.join(RESULTS, name), 'w') as handle:
            json.dump(results, handle, indent=1, sort_keys=True)
    print('results: %s' % os.path.relpath(os.path.join(RESULTS, 'latest.json'), os.getcwd()))


if __name__ == '__main__':
    sys.exit(main())
