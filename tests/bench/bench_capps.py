# -*- coding: utf-8 -*-
# Copyright: wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CApp benchmark (issue 17): a converged run of the instances module on MI homes that deploy 20 CApps of 5 MB
each per instance, against the same run on the same homes without them.

Each run is the module as Ansible runs it (a Python process reading its args file, the collection on
PYTHONPATH), timed from start to exit; the two cases alternate (which one runs first flips every round) and the
ratio is the median of the per-round ratios. A CApp holds an inbound endpoint (its own port), a local entry and a
5 MB incompressible jar, as connector-heavy CApps do.

    python tests/bench/bench_capps.py [--instances 2] [--capps 20] [--mb 5] [--rounds 7]
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
COLLECTIONS = os.path.join(ROOT, '.build', 'collections')
MODULE = os.path.join(ROOT, 'plugins', 'modules', 'instances.py')
TARGET_RATIO = 1.1
CAPPS_DIR = os.path.join('repository', 'deployment', 'server', 'carbonapps')
TOML = '[server]\nhostname = "localhost"\noffset = %d\n'
ENDPOINT = ('<inboundEndpoint xmlns="http://ws.apache.org/ns/synapse" name="%s" protocol="http" sequence="main" '
            'onError="fault" suspend="false"><parameters><parameter name="inbound.http.port">%d</parameter>'
            '</parameters></inboundEndpoint>')


def _capp(path, name, port, megabytes):
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as archive:
        for artifact, kind, xml in ((name + 'EP', 'synapse/inbound-endpoint', ENDPOINT % (name + 'EP', port)),
                                    (name + 'LE', 'synapse/local-entry', '<localEntry xmlns="http://ws.apache.org/'
                                     'ns/synapse" key="%sLE">x</localEntry>' % name)):
            archive.writestr('%s_1.0.0/artifact.xml' % artifact, '<artifact name="%s" version="1.0.0" type="%s">'
                             '<file>%s-1.0.0.xml</file></artifact>' % (artifact, kind, artifact))
            archive.writestr('%s_1.0.0/%s-1.0.0.xml' % (artifact, artifact), xml)
        archive.writestr('%sLib_1.0.0/artifact.xml' % name, '<artifact name="%sLib" version="1.0.0" type="lib/'
                         'synapse/mediator"><file>lib.jar</file></artifact>' % name)
        archive.writestr(zipfile.ZipInfo('%sLib_1.0.0/lib.jar' % name), os.urandom(megabytes * 1024 * 1024),
                         compress_type=zipfile.ZIP_STORED)
        archive.writestr('artifacts.xml', '<artifacts><artifact name="%s" version="1.0.0" type="carbon/application">'
                         '%s</artifact></artifacts>' % (name, ''.join(
                             '<dependency artifact="%s%s" version="1.0.0" include="true"/>' % (name, suffix)
                             for suffix in ('EP', 'LE', 'Lib'))))


def make_homes(workdir, instances, capps, megabytes):
    """({'plain': args, 'capps': args}): the same instances, without and with deployed CApps."""
    cases = {}
    for case in ('plain', 'capps'):
        listed = []
        for index in range(instances):
            home = os.path.join(workdir, case, 'mi%d' % index)
            os.makedirs(os.path.join(home, 'conf'))
            with open(os.path.join(home, 'conf', 'deployment.toml'), 'w') as handle:
                handle.write(TOML % (10 + 100 * index))
            if case == 'capps':
                os.makedirs(os.path.join(home, CAPPS_DIR))
                for number in range(capps):
                    _capp(os.path.join(home, CAPPS_DIR, 'App%02d_1.0.0.car' % number), 'App%02d' % number,
                          20000 + 100 * index + number, megabytes)
            listed.append({'name': 'mi%d' % index, 'home': home})
        cases[case] = {'instances': listed, 'check_listeners': False}
    return cases


def _run(workdir, case, args):
    path = os.path.join(workdir, '%s-args.json' % case)
    with open(path, 'w') as handle:
        json.dump({'ANSIBLE_MODULE_ARGS': args}, handle)
    env = dict(os.environ, PYTHONPATH=COLLECTIONS)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, MODULE, path], capture_output=True, text=True, env=env, check=False)
    seconds = time.perf_counter() - start
    try:
        result = json.loads(proc.stdout)
    except ValueError:
        result = {'failed': True, 'msg': 'no JSON on stdout: %s' % proc.stderr[-300:]}
    run = {'case': case, 'rc': proc.returncode, 'wall_s': seconds, 'changed': bool(result.get('changed')),
           'failed': bool(result.get('failed')), 'msg': result.get('msg') if result.get('failed') else None}
    return run, result


def checks(result):
    """(holds, why not) pairs of a CApp result: every run exited 0, failed nothing, changed nothing."""
    bad = ['%s rc=%d changed=%s failed=%s %s' % (run['case'], run['rc'], run['changed'], run['failed'], run['msg'] or '')
           for run in result['runs'] if run['rc'] != 0 or run['changed'] or run['failed']]
    return [(result['endpoints_found'] == result['endpoints_expected'], 'inbound listeners read: %d of %d'
             % (result['endpoints_found'], result['endpoints_expected'])),
            (not bad, 'runs that did not exit 0 unchanged: %s' % '; '.join(bad)),
            (result.get('ratio_median_paired') is not None and result['ratio_median_paired'] <= result['target'],
             'over the target')]


def run(instances=2, capps=20, megabytes=5, rounds=7):
    workdir = tempfile.mkdtemp(prefix='mi-bench-capps-')
    try:
        cases = make_homes(workdir, instances, capps, megabytes)
        warm_up, result = _run(workdir, 'capps', cases['capps'])  # and the check that it reads them
        endpoints = [item for item in result.get('listeners', []) if item.get('endpoint')]
        runs = [dict(warm_up, round=0)]
        for index in range(1, rounds + 1):
            for case in (('plain', 'capps') if index % 2 else ('capps', 'plain')):
                runs.append(dict(_run(workdir, case, cases[case])[0], round=index))
        times = dict((case, [run['wall_s'] for run in runs if run['case'] == case and run['round']])
                     for case in ('plain', 'capps'))
        ratios = [c / p for c, p in zip(times['capps'], times['plain'])]
        found = {'instances': instances, 'capps_per_instance': capps, 'mb_per_capp': megabytes, 'rounds': rounds,
                 'runs': runs, 'ratios': ratios, 'endpoints_found': len(endpoints),
                 'endpoints_expected': instances * capps, 'plain_median_s': statistics.median(times['plain']),
                 'capps_median_s': statistics.median(times['capps']), 'ratio_median_paired': statistics.median(ratios),
                 'target': TARGET_RATIO}
        found['pass'] = not [why for holds, why in checks(found) if not holds]
        return found
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def describe(result):
    return ('instances module, converged, %d instances x %d CApps of %d MB: %.3f s vs %.3f s without, ratio %.3fx '
            '(target <= %.1fx) %s' % (result['instances'], result['capps_per_instance'], result['mb_per_capp'],
                                      result['capps_median_s'], result['plain_median_s'], result['ratio_median_paired'],
                                      result['target'], 'PASS' if result['pass'] else 'MISS'))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--instances', type=int, default=2)
    parser.add_argument('--capps', type=int, default=20)
    parser.add_argument('--mb', type=int, default=5)
    parser.add_argument('--rounds', type=int, default=7)
    args = parser.parse_args(argv)
    print(describe(run(args.instances, args.capps, args.mb, args.rounds)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
