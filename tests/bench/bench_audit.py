"""Cost of the port audit per host: module executions (callback and interpreter launches) and net ms.

    python tests/bench/bench_audit.py [--hosts 50] [--repeat 3]

N simulated hosts (bench_fleet.Fleet: local connection, one MI home each); per round: a play with no
task (start-up cost), two ping tasks (baseline: two module round trips per host), the mi_audit role.
Prints medians; it measures and asserts nothing.
"""

import argparse
import os
import statistics
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench_fleet  # noqa: E402  pylint: disable=wrong-import-position

bench_fleet.PLAYBOOKS['audit'] = os.path.join(HERE, 'playbooks', 'audit.yml')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--hosts', type=int, default=50)
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--forks', type=int, default=10)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix='bench-audit-')
    os.environ['BENCH_AUDIT_REPORT'] = os.path.join(workdir, 'report')
    fleet = bench_fleet.Fleet(os.path.join(workdir, 'fleet'), args.hosts, args.forks, False,
                              os.path.join(workdir, 'logs'))
    os.makedirs(fleet.workdir)
    fleet.count_interpreter_launches()
    fleet.write_inventory()
    fleet.reset('ours')
    runs = dict((kind, []) for kind in ('startup', 'baseline', 'audit'))
    for index in range(args.repeat):
        for kind in ('startup', 'baseline', 'audit')[index % 3:] + ('startup', 'baseline', 'audit')[:index % 3]:
            result = fleet.run(kind, '%s-%d' % (kind, index + 1))
            if result['rc'] != 0:
                sys.exit('%s failed, see %s' % (kind, result['log']))
            runs[kind].append(result)
    startup = statistics.median(run['wall_s'] for run in runs['startup'])
    audit, baseline = (statistics.median(run['wall_s'] for run in runs[kind]) for kind in ('audit', 'baseline'))
    last = runs['audit'][-1]
    launches = sorted(set(last['interpreter_launches'].values()))
    print('hosts %d, forks %d, rounds %d, load %.1f' % (args.hosts, args.forks, args.repeat, last['load_avg_1m']))
    print('module executions per host (callback): %s' % last['counts']['module_executions'])
    print('interpreter launches per host (ground truth): %s' % launches)
    print('net ms per host: audit %.0f, two pings %.0f (audit / two pings %.2f)' % (
        (audit - startup) * 1e3 / args.hosts, (baseline - startup) * 1e3 / args.hosts,
        (audit - startup) / (baseline - startup)))
    print('slowest tasks of the audit: %s' % ', '.join(
        '%s %.2fs' % (task['name'], task['wall_s']) for task in sorted(
            last['tasks'], key=lambda task: -task['wall_s'])[:3]))
    print('report: %s' % os.environ['BENCH_AUDIT_REPORT'])


if __name__ == '__main__':
    main()
