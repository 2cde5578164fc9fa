"""The rollout and the audit run through ansible-runner, the engine under AWX and Automation Platform, from a
private data directory as AWX lays out a job (inventory/, env/extravars, env/envvars; the playbooks by their
FQCN), the way docs/docsite/rst/awx.rst shows. Two hosts (local connections, an MI home each, no firewall, no
unit), a canary batch and a pause after it: the job events carry each host's plan and module result, and the
audit's HTML and JSON come out in the job's artifact folder (AWX_ISOLATED_DATA_DIR, which ansible-runner sets)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from helpers.runner import COLLECTIONS, write_conf

TEXT = '[server]\nhostname = "localhost"\noffset = 3\n'
HOSTS = ('mi-01', 'mi-02')


@pytest.fixture
def data_dir(tmp_path):
    """A private data directory: two hosts whose instance moves from offset 3 to 13."""
    homes = {}
    for host in HOSTS:
        homes[host] = tmp_path / 'homes' / host
        homes[host].mkdir(parents=True)
        write_conf(homes[host], TEXT)
    private = tmp_path / 'job'
    (private / 'inventory').mkdir(parents=True)
    (private / 'env').mkdir()
    (private / 'project').mkdir()
    inventory = {'all': {'children': {'mi': {
        'vars': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
                 # the test runs as the user it is; on a real host the rollout's become: true gets root
                 'ansible_become': False, 'mi_ports_firewall': 'none', 'mi_ports_offset': 13},
        'hosts': {host: {'mi_ports_home': str(homes[host])} for host in HOSTS}}}}}
    (private / 'inventory' / 'hosts.yml').write_text(yaml.safe_dump(inventory))
    (private / 'env' / 'envvars').write_text(yaml.safe_dump({
        'ANSIBLE_COLLECTIONS_PATH': str(COLLECTIONS), 'ANSIBLE_LOCAL_TEMP': str(tmp_path / 'local-tmp'),
        'ANSIBLE_REMOTE_TEMP': str(tmp_path / 'remote-tmp')}))
    (private / 'env' / 'extravars').write_text(yaml.safe_dump({
        'rollout_serial': [1, '100%'], 'rollout_canary_pause': 1,
        'mi_audit_report_dir': "{{ lookup('ansible.builtin.env', 'AWX_ISOLATED_DATA_DIR') }}/mi-audit-report"}))
    return private, homes


def run_job(private, playbook, ident):
    """ansible-runner run PRIVATE -p PLAYBOOK --ident IDENT; (rc, artifact folder, job events)."""
    runner = Path(sys.executable).parent / 'ansible-runner'
    env = dict(os.environ, PATH=os.pathsep.join([str(runner.parent), os.environ.get('PATH', '')]))  # its ansible-playbook
    env.pop('ANSIBLE_CONFIG', None)  # the job's settings come from its private data directory, as in AWX
    proc = subprocess.run([str(runner), 'run', str(private), '-p', playbook, '--ident', ident],
                          capture_output=True, text=True, timeout=600, check=False, env=env)
    artifacts = private / 'artifacts' / ident
    events = [json.loads(path.read_text()) for path in sorted((artifacts / 'job_events').glob('*.json'),
                                                              key=lambda path: int(path.name.split('-')[0]))]
    return proc.returncode, artifacts, events, proc.stdout + proc.stderr


def host_events(events, event, task):
    return dict((item['event_data']['host'], item['event_data']) for item in events
                if item['event'] == event and item['event_data'].get('task') == task)


def test_the_rollout_and_the_audit_run_as_awx_runs_a_job(data_dir):
    private, homes = data_dir
    rc, artifacts, events, out = run_job(private, 'wso2ops.micro_integrator.rollout', 'rollout-1')
    assert rc == 0, out
    assert (artifacts / 'status').read_text() == 'successful' and (artifacts / 'rc').read_text() == '0'
    for host in HOSTS:
        assert 'offset = 13' in (homes[host] / 'conf' / 'deployment.toml').read_text()

    # Each host's result of the one module run, and its plan, in the job events (what AWX's job output shows).
    results = host_events(events, 'runner_on_ok',
                          'Read, validate and plan every MI instance, write the files that change, reconcile the firewall')
    plans = host_events(events, 'runner_on_ok', 'The plan of this host')
    assert sorted(results) == sorted(plans) == sorted(HOSTS), [(e['event'], e['event_data'].get('task')) for e in events]
    for host in HOSTS:
        result = results[host]['res']
        assert result['changed'] and result['instances'][0]['changes'], result
        assert result['instances'][0]['ports']['http']['port'] == 8293
        assert any('http 8293 (was 8283)' in line for line in plans[host]['res']['msg']), plans[host]
    # The batches: the canary alone, then the other host.
    plays = [item['event_data'] for item in events if item['event'] == 'playbook_on_play_start']
    starts = [item['event_data']['host'] for item in events if item['event'] == 'runner_on_start'
              and item['event_data']['task'].startswith('Read, validate and plan')]
    assert len(plays) == 2 and starts == list(HOSTS), (plays, starts)
    # The pause after the canary batch, once, between the canary's module run and the other host's.
    pauses = [item['counter'] for item in events if item['event'] == 'runner_on_ok'
              and item['event_data']['task'] == 'Wait after the canary batch']
    module_runs = [item['counter'] for item in events if item['event'] == 'runner_on_start'
                   and item['event_data']['task'].startswith('Read, validate and plan')]
    assert len(pauses) == 1 and module_runs[0] < pauses[0] < module_runs[1], (pauses, module_runs)
    stats = next(item['event_data'] for item in events if item['event'] == 'playbook_on_stats')
    assert sorted(stats['changed']) == sorted(HOSTS) and not stats['failures']

    # The audit, as a second job: its report in the job's artifact folder.
    rc, artifacts, events, out = run_job(private, 'wso2ops.micro_integrator.audit', 'audit-1')
    assert rc == 0, out
    report = json.loads((artifacts / 'mi-audit-report' / 'mi-audit.json').read_text())
    assert sorted(item['host'] for item in report['hosts']) == sorted(HOSTS), report['hosts']
    html = (artifacts / 'mi-audit-report' / 'mi-audit.html').read_text()
    assert html.lstrip().lower().startswith('<!doctype html') and 'mi-01' in html and 'mi-02' in html
    audited = host_events(events, 'runner_on_ok', 'Audit the MI instances, their sockets and the firewall of this host')
    assert sorted(audited) == sorted(HOSTS)
