# -*- coding: utf-8 -*-
# Copyright: wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make bench`: engine and fleet benchmarks in one invocation; a table on stdout and results JSON.

A target is PASS only when every check behind it holds: every timed run exited 0, no host changed in any re-run,
every host launched its interpreter as often as the target says (never 0), at least MIN_ROUNDS paired rounds, and
the figure within the target. The JSON keeps every run (label, return code, wall time, counts) and every
engine timing, and each target names the runs it was computed from.

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
import subprocess
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

CORPORA = [os.path.join(os.path.dirname(ROOT), 'shared', 'corpus', name) for name in ('wso2-micro-integrator', 'in-the-wild')]
RESULTS = os.path.join(HERE, 'results')
MAX_HOSTS = 500
TARGET_RERUN_RATIO = 1.0
TARGET_PODMAN_RATIO = 0.7  # the converged role against two pings, with a real firewall
TARGET_FLAT = 0.15
MIN_ROUNDS = 5  # paired rounds a verdict needs
TARGET_MODULES_CONVERGED = 1  # the instances module, the firewall included, whatever the number of instances
TARGET_MODULES_FIRST = 2  # plus tomlkit, when a host lacks it


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--hosts', type=int, default=50, help='fleet size N (default 50, at most %d)' % MAX_HOSTS)
    parser.add_argument('--scale-hosts', type=int, default=500,
                        help='second fleet size for the per-host flatness check (default 500; 0 skips it)')
    parser.add_argument('--forks', type=int, default=10, help='ansible forks, the same for every playbook (10)')
    parser.add_argument('--repeat', type=int, default=MIN_ROUNDS,
                        help='paired rounds: re-runs at N and at the scale size in each (default and least for a '
                             'verdict %d)' % MIN_ROUNDS)
    parser.add_argument('--scale-baseline', action='store_true', help='two pings at the scale size too, each round')
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
    parser.add_argument('--podman-repeat', type=int, default=MIN_ROUNDS,
                        help='paired rounds on the podman hosts (default and least for a verdict %d)' % MIN_ROUNDS)
    parser.add_argument('--figures', action='store_true',
                        help='also write tests/bench/results/<date>.json, the release figures kept in the repository')
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


def _rotated(items, index):
    return items[index % len(items):] + items[:index % len(items)]


def fleet_sections(args, workdir, checkpoint=None):
    """The fleet at N (baseline, ours, peer) and at the scale size (ours), in one run: first converges, then
    --repeat rounds; each round runs both sizes (which goes first alternates) and, per size, an empty play and
    the re-runs in a rotated order, so that the per-host cost at both sizes is paired round by round."""
    sizes = [(args.hosts, ['baseline', 'ours'] + ([] if args.no_peer else ['peer']))]
    if args.scale_hosts and args.scale_hosts != args.hosts:
        sizes.append((args.scale_hosts, ['ours'] + (['baseline'] if args.scale_baseline else [])))
    sections = []
    for hosts, kinds in sizes:
        fleet = bench_fleet.Fleet(os.path.join(workdir, 'n%d' % hosts), hosts, args.forks, args.pipelining,
                                  os.path.join(RESULTS, 'logs'))
        os.makedirs(fleet.workdir)
        fleet.write_inventory()
        sections.append({'hosts': hosts, 'forks': args.forks, 'pipelining': args.pipelining, 'rounds': args.repeat,
                         'kinds': kinds, 'runs': [], 'fleet': fleet})
    # No separate warm-up: the probe runs first and leaves Python's and the OS's caches warm.
    for section in sections:
        for kind in section['kinds']:
            if kind != 'baseline':
                section['fleet'].reset(kind)
                _run(section['fleet'], kind, 'n%d-%s-first' % (section['hosts'], kind), section['runs'])
        section['converged'] = dict((kind, section['fleet'].snapshot(kind)) for kind in section['kinds']
                                    if kind != 'baseline')
    for index in range(1, args.repeat + 1):
        for section in (sections if index % 2 else sections[::-1]):
            prefix = 'n%d' % section['hosts']
            _run(section['fleet'], 'startup', '%s-startup-%d' % (prefix, index), section['runs'])
            for kind in _rotated(section['kinds'], index):
                _run(section['fleet'], kind, '%s-%s-rerun-%d' % (prefix, kind, index), section['runs'])
        if checkpoint:
            checkpoint([_closed(section, index) for section in sections])
    return [_closed(section, args.repeat) for section in sections]


def _closed(section, rounds):
    """The section's results after rounds rounds (the files compared with their state after the first converge)."""
    closed = dict((key, value) for key, value in section.items() if key not in ('fleet', 'converged'))
    closed['rounds'] = rounds
    closed['runs'] = list(section['runs'])
    closed['files_unchanged_by_reruns'] = dict((kind, section['fleet'].snapshot(kind) == before)
                                               for kind, before in section['converged'].items())
    closed['startup_s'] = bench_fleet.median_of([run for run in section['runs'] if '-startup-' in run['label']])
    return closed


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


# -- verdicts -------------------------------------------------------------------------------------
def _runs(section, label_part):
    return [run for run in section['runs'] if label_part in run['label']]


def verdict(target, measured, source, checks):
    """A target's record; checks are (holds, why not) pairs, and PASS needs every one of them."""
    why = [reason for holds, reason in checks if not holds]
    return {'target': target, 'measured': measured, 'pass': not why, 'why': why, 'source': source}


def run_checks(runs):
    """Every run exited 0, and the callback saw every host without a failure."""
    failed = ['%s rc=%d' % (run['label'], run['rc']) for run in runs if run['rc'] != 0]
    uncounted = [run['label'] for run in runs if not run.get('counts')]
    hosts_failed = ['%s: %d' % (run['label'], run['counts']['hosts_failed']) for run in runs
                    if run.get('counts') and run['counts']['hosts_failed']]
    return [(not failed, 'runs that did not exit 0: %s' % ', '.join(failed)),
            (not uncounted, 'runs without callback counts: %s' % ', '.join(uncounted)),
            (not hosts_failed, 'runs with failed hosts: %s' % ', '.join(hosts_failed))]


def rounds_check(rounds, paired):
    return [(rounds >= MIN_ROUNDS, '%d rounds asked; a verdict needs at least %d' % (rounds, MIN_ROUNDS)),
            (paired == rounds, '%d of %d rounds paired' % (paired, rounds))]


def _changed_checks(runs):
    changed = ['%s: %s' % (run['label'], (run.get('counts') or {}).get('hosts_changed')) for run in runs
               if (run.get('counts') or {}).get('hosts_changed') != 0]
    return [(bool(runs), 'no re-run to read'), (not changed, 'hosts changed (or not counted): %s' % ', '.join(changed))]


def _launch_checks(runs, low, high):
    """Every host of every run launched its interpreter between low and high times: 0 launches is a broken
    counter or a host that did nothing, never a pass."""
    wrong = ['%s %s: %d' % (run['label'], host, count) for run in runs
             for host, count in sorted(run.get('interpreter_launches', {}).items()) if not low <= count <= high]
    missing = [run['label'] for run in runs if not run.get('interpreter_launches')]
    return [(bool(runs), 'no run to read'), (not missing, 'no launch count: %s' % ', '.join(missing)),
            (not wrong, 'launches outside %d..%d: %s' % (low, high, ', '.join(wrong)))]


def paired_ratios(runs, numerator, denominator, rounds):
    """{round: numerator run / denominator run of the same round} for label parts '-kind-rerun-'."""
    ratios = {}
    for index in range(1, rounds + 1):
        mine = [run for run in runs if run['label'].endswith('%s%d' % (numerator, index))]
        base = [run for run in runs if run['label'].endswith('%s%d' % (denominator, index))]
        if mine and base:
            ratios[index] = mine[0]['wall_s'] / base[0]['wall_s']
    return ratios


def net_per_host_ms(section, kind, index):
    """(run - the empty play of the same round) / N, in ms; None when the round lacks either."""
    prefix = 'n%d-' % section['hosts']
    mine = [run for run in section['runs'] if run['label'] == '%s%s-rerun-%d' % (prefix, kind, index)]
    start = [run for run in section['runs'] if run['label'] == '%sstartup-%d' % (prefix, index)]
    if not mine or not start:
        return None
    return (mine[0]['wall_s'] - start[0]['wall_s']) * 1e3 / section['hosts']


def flatness(small, big, kind):
    """{round: net per-host cost at the big size / at the small size - 1}, paired round by round."""
    changes = {}
    for index in range(1, small['rounds'] + 1):
        low, high = net_per_host_ms(small, kind, index), net_per_host_ms(big, kind, index)
        if low and high is not None:
            changes[index] = high / low - 1
    return changes


def _median(values):
    return statistics.median(values) if values else None


def _ratio_text(ratios):
    if not ratios:
        return 'no paired round'
    return '%.2fx (rounds: %s)' % (statistics.median(ratios.values()), ' '.join('%.2f' % r for r in ratios.values()))


def engine_targets(engine):
    found = []
    for index, case in enumerate(engine['cases']):
        found.append(verdict('engine, %s, %s: <= %.1fx bare parse+dumps' % (case['short'], case['kind'], case['target']),
                             '%.2fx' % case['ratio_median_paired'], 'engine.cases[%d]' % index,
                             [(case['ratio_median_paired'] <= case['target'], 'over the target')]))
    for name, block in sorted(engine.get('operations', {}).items()):
        worst = block['worst']
        found.append(verdict('engine, every corpus file (%d), %s: <= %.1fx (worst)' % (block['files'], name, block['target']),
                             '%.2fx (median %.2fx; worst %s)' % (worst['ratio'], block['median'], worst['file'][-40:])
                             if worst else 'no file', 'engine.operations.%s.rows' % name,
                             [(bool(block['files']), 'no corpus file measured'),
                              (worst is not None and worst['ratio'] <= block['target'], 'over the target')]))
    return found


def capps_target(capps):
    return verdict('instances module converged, %d CApps of %d MB per instance: <= %.1fx without'
                   % (capps['capps_per_instance'], capps['mb_per_capp'], capps['target']),
                   '%.2fx' % capps['ratio_median_paired'] if capps.get('ratio_median_paired') else 'no ratio',
                   'capps.runs', bench_capps.checks(capps) + rounds_check(capps['rounds'], len(capps.get('ratios', []))))


def fleet_targets(main, scale):
    found = []
    ratios = paired_ratios(main['runs'], '-ours-rerun-', '-baseline-rerun-', main['rounds'])
    main['ratio_ours_rerun_vs_baseline'] = _median(list(ratios.values()))
    found.append(verdict('fleet re-run <= %.1fx two-ping baseline (N=%d), paired rounds' % (TARGET_RERUN_RATIO, main['hosts']),
                         _ratio_text(ratios), 'fleet.runs n%d-{ours,baseline}-rerun-*' % main['hosts'],
                         [(bool(ratios) and main['ratio_ours_rerun_vs_baseline'] <= TARGET_RERUN_RATIO, 'over the target')]
                         + rounds_check(main['rounds'], len(ratios)) + run_checks(main['runs'])))
    sections = [main] + ([scale] if scale else [])
    reruns = [run for section in sections for run in _runs(section, '-ours-rerun-')]
    unchanged = all(section['files_unchanged_by_reruns'].get('ours') for section in sections)
    found.append(verdict('fleet re-run: 0 hosts changed in every timed round (N=%s)'
                         % ' and '.join(str(section['hosts']) for section in sections),
                         '%d re-runs, hosts changed: %s' % (len(reruns), ', '.join(
                             str((run.get('counts') or {}).get('hosts_changed')) for run in reruns)),
                         'fleet.runs, scale.runs *-ours-rerun-*; files_unchanged_by_reruns',
                         _changed_checks(reruns) + [(unchanged, 'a deployment.toml changed during the re-runs')]
                         + run_checks(reruns)))
    if scale:
        changes = flatness(main, scale, 'ours')
        median = _median(list(changes.values()))
        found.append(verdict('fleet re-run: net per-host cost at N=%d within %d%% of N=%d, paired rounds'
                             % (scale['hosts'], TARGET_FLAT * 100, main['hosts']),
                             '%+.0f%% (rounds: %s)' % (median * 100, ' '.join('%+.0f%%' % (c * 100) for c in changes.values()))
                             if changes else 'no paired round',
                             'fleet.runs, scale.runs n*-{ours-rerun,startup}-*',
                             [(median is not None and abs(median) <= TARGET_FLAT, 'outside the band')]
                             + rounds_check(main['rounds'], len(changes)) + run_checks(main['runs'] + scale['runs'])))
    return found


def probe_targets(probe):
    found = []
    for kind, target in (('rerun', TARGET_MODULES_CONVERGED), ('first', TARGET_MODULES_FIRST)):
        runs = [run for run in probe['runs'] if run['label'] == 'probe-ours-%s' % kind]
        counts = probe['modules_per_host_%s' % kind]
        found.append(verdict('%s, firewall none: 1 to %d module executions per host (k = 1 and 3 instances)'
                             % ('converged host' if kind == 'rerun' else 'first converge', target),
                             ', '.join('%s: %d' % item for item in sorted(counts.items())) or 'none',
                             'probe.runs probe-ours-%s interpreter_launches' % kind,
                             _launch_checks(runs, 1, target) + run_checks(runs)))
    return found


def podman_targets(backend, data, rounds):
    runs = data['runs']
    reruns = [run for run in runs if '-ours-rerun-' in run['label']]
    timed = [run for run in runs if '-rerun-' in run['label'] and not run['label'].endswith('-rerun-0')]
    zero = [run for run in reruns if run['label'].endswith('-rerun-0')]
    launches = data['launches_per_host_rerun']
    ratios = paired_ratios(runs, '-ours-rerun-', '-baseline-rerun-', rounds)
    one_ping = paired_ratios(runs, '-ours-rerun-', '-one_ping-rerun-', rounds)
    counter = (_launch_checks([run for run in runs if '-one_ping-' in run['label']], 1, 1)
               + _launch_checks([run for run in runs if '-baseline-' in run['label']], 2, 2))
    return [
        verdict('podman %s: 1 module execution per converged host, k = 1 and %d instances, every re-run'
                % (backend, bench_podman.MULTI_INSTANCES),
                ', '.join('k=%d: %d' % (data['instances_per_host'][name], launches[name]) for name in sorted(launches)),
                'podman.backends.%s.runs *-ours-rerun-* interpreter_launches' % backend,
                _launch_checks(reruns, 1, TARGET_MODULES_CONVERGED) + counter + run_checks(reruns)),
        verdict('podman %s: converged re-run <= %.1fx two pings on the same hosts, paired rounds'
                % (backend, TARGET_PODMAN_RATIO),
                '%s; %.2fx one ping' % (_ratio_text(ratios), _median(list(one_ping.values())) or 0),
                'podman.backends.%s.runs *-{ours,baseline,one_ping}-rerun-[1-9]*' % backend,
                [(bool(ratios) and _median(list(ratios.values())) <= TARGET_PODMAN_RATIO, 'over the target')]
                + rounds_check(rounds, len(ratios)) + run_checks(timed)),
        verdict('podman %s: 0 hosts changed in every re-run' % backend,
                'hosts changed: %s' % ', '.join(str((run.get('counts') or {}).get('hosts_changed')) for run in reruns),
                'podman.backends.%s.runs *-ours-rerun-*' % backend,
                _changed_checks(reruns) + _changed_checks(zero) + run_checks(runs)),
    ]


def targets(results):
    found = []
    if 'engine' in results:
        found += engine_targets(results['engine'])
    if 'capps' in results:
        found.append(capps_target(results['capps']))
    if 'fleet' in results:
        found += fleet_targets(results['fleet'], results.get('scale'))
    if 'probe' in results:
        found += probe_targets(results['probe'])
    podman = results.get('podman', {})
    for backend, data in sorted(podman.get('backends', {}).items()):
        found += podman_targets(backend, data, podman['rounds'])
    return found


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
            'hosts_changed': max((run['counts'] or {}).get('hosts_changed', -1) for run in runs),
            'failed_runs': sum(1 for run in runs if run['rc'] != 0),
        })
    return rows


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
        print('(corpus folders %s absent: generated file only)' % ', '.join(CORPORA))
    for name, block in sorted(engine.get('operations', {}).items()):
        worst = block['worst']
        if worst:
            print('Every valid corpus file, %s: %d files, median %.2fx, worst %.2fx (%s, %s, %d lines)'
                  % (name, block['files'], block['median'], worst['ratio'], worst['file'][-60:],
                     json.dumps(worst['edit']), worst['lines']))


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


def print_targets(found, source):
    print('\nTargets (PASS only when every check holds; raw data: %s):' % source)
    for item in found:
        print('  [%s] %-84s %s' % ('PASS' if item['pass'] else 'MISS', item['target'], item['measured']))
        print('         from %s' % item['source'])
        for reason in item['why']:
            print('         why not: %s' % reason)


# -- main ------------------------------------------------------------------------------------------
def finish_fleet(section):
    section['rows'] = fleet_rows(section)
    section['ratio_peer_rerun_vs_baseline'] = _median(list(paired_ratios(
        section['runs'], '-peer-rerun-', '-baseline-rerun-', section['rounds']).values()))
    return section


def finish_probe(probe):
    for kind in ('first', 'rerun'):
        run = next(run for run in probe['runs'] if run['label'] == 'probe-ours-%s' % kind)
        probe['modules_per_host_%s' % kind] = dict(
            ('k=%d' % probe['instances'][host], count) for host, count in run['interpreter_launches'].items())
    return probe


def command_line(argv):
    """The command that made a result, as it was typed."""
    if os.environ.get('MAKELEVEL'):
        return 'make bench' + (' BENCH_ARGS="%s"' % ' '.join(argv) if argv else '')
    return ' '.join(['python', 'tests/bench/run.py'] + argv)


def git_commit():
    try:
        head = subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=ROOT, capture_output=True, text=True, check=True)
        dirty = subprocess.run(['git', 'status', '--porcelain', '--untracked-files=no'], cwd=ROOT,
                               capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return head.stdout.strip() + (' (with uncommitted changes)' if dirty.stdout.strip() else '')


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    started = datetime.datetime.now(datetime.timezone.utc)
    results = {'started': started.isoformat(), 'machine': {'cpus': os.cpu_count(), 'python': platform.python_version(),
                                                           'load_avg_start': os.getloadavg()},
               'command': command_line(argv), 'commit': git_commit(), 'args': vars(args)}
    if args.podman_only:
        args.podman = args.engine_only = args.fleet_only = True
    if not args.fleet_only:
        _say('engine benchmark')
        results['engine'] = bench_engine.run(CORPORA, budget_s=args.engine_seconds)
        _say('CApp benchmark (instances module, 20 CApps of 5 MB per instance)')
        results['capps'] = bench_capps.run()
        checkpoint(results, started, args)
    workdir = tempfile.mkdtemp(prefix='mi-bench-')
    try:
        if args.podman:
            results['podman'] = bench_podman.section(args, workdir, os.path.join(RESULTS, 'logs'), _say)
            checkpoint(results, started, args)
        if not args.engine_only:
            _say('fleet benchmark in %s' % workdir)
            results['probe'] = finish_probe(probe_section(args, workdir))
            checkpoint(results, started, args)

            def fleet_done(sections):
                results['fleet'] = finish_fleet(sections[0])
                if len(sections) > 1:
                    results['scale'] = finish_fleet(sections[1])
                checkpoint(results, started, args)
            fleet_done(fleet_sections(args, workdir, fleet_done))
    finally:
        if args.keep:
            _say('kept %s' % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    results['machine']['load_avg_end'] = os.getloadavg()
    results['seconds'] = (datetime.datetime.now(datetime.timezone.utc) - started).total_seconds()
    results['targets'] = targets(results)
    paths = save(results, started, args.figures)
    report(results, paths[-1])
    return 0


def checkpoint(results, started, args):
    """The results so far, saved (marked unfinished): a run stopped midway keeps what it measured."""
    partial = dict(results, unfinished=True, targets=targets(results))
    save(partial, started, args.figures)


def report(results, source):
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
    print_targets(results['targets'], source)
    print('\nload average %s at start, %s at end; %d CPUs; %.0f s in all' % (
        ' '.join('%.1f' % x for x in results['machine']['load_avg_start']),
        ' '.join('%.1f' % x for x in results['machine']['load_avg_end']), results['machine']['cpus'],
        results['seconds']))


def save(results, started, figures):
    """latest.json and a time-stamped copy (git-ignored); with figures, also <date>.json, the release's figures
    kept in the repository. Returns the paths written, the one to cite last."""
    os.makedirs(RESULTS, exist_ok=True)
    names = ['latest.json', 'bench-%s.json' % started.strftime('%Y%m%dT%H%M%SZ')]
    if figures:
        names.append('%s.json' % started.strftime('%Y-%m-%d'))
    paths = [os.path.join(RESULTS, name) for name in names]
    for path in paths:
        with open(path, 'w') as handle:
            json.dump(results, handle, indent=1, sort_keys=True)
            handle.write('\n')
    return [os.path.relpath(path, ROOT) for path in paths]


if __name__ == '__main__':
    sys.exit(main())
