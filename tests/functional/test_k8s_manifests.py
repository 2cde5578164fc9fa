"""wso2ops.micro_integrator.k8s_manifests run for real on MI folders in temp folders, against the instances module
on the same files, the official Kubernetes schemas, and what WSO2's chart (../shared/corpus/helm-mi) renders today,
derived from its templates; the MI homes of the artifacts corpus (../shared/corpus/wso2-micro-integrator-artifacts).
No cluster: nothing here is applied to a live Kubernetes."""

import json
import sys
import pytest

from ansible_collections.wso2ops.micro_integrator.plugins.filter.k8s_drift import k8s_drift
from ansible_collections.wso2ops.micro_integrator.plugins.plugin_utils.audit_html import render_html
from ansible_collections.wso2ops.micro_integrator.plugins.plugin_utils.audit_report import fleet, render_markdown
from ansible_collections.wso2ops.micro_integrator.plugins.modules.k8s_manifests import read_folder
from helpers.artifacts import (
    ARTIFACTS,
    BETA1,
    CAPPS,
    CAPPS_DIR,
    ENDPOINT_FILES,
    ENDPOINTS_DIR,
    HOT_BETA1,
    deploy,
    endpoint_xml,
)
from helpers.k8s import (
    HELM_MI,
    KUBERNETES_VERSIONS,
    apply_patches,
    admitted,
    chart_values,
    deep_merge,
    need_corpus,
    render_chart,
    validate,
    wanted_access,
)
from helpers.runner import REPO, ansible, run_module

ADMINS = ['192.0.2.0/24']
MONITORING = ['10.0.0.0/8']
SECRET = 's3cr3t-never-shown'
# What the chart's container starts MI with besides its args (mi/templates/mi-deployment.yaml env).
CHART_ENV = {'JAVA_MEM_OPTS': '-Xms512m -Xmx1024m', 'POD_NAME': 'orders-0', 'DB_PASSWORD': SECRET}
# The chart's own configuration, and one with overridden internal and listener ports at offset 3, MI 4.1.
CASES = {
    'chart default': {},
    'overridden ports, offset 3': {
        'wso2.config.portOffset': 3, 'wso2.config.mediation': {'internalHttpApiPort': 9300,
                                                               'internalHttpsApiPort': 9400},
        'wso2.config.transport.http.nonBlocking.listener.port': 8300, 'wso2.deployment.synapseTest.enabled': True,
        'wso2.deployment.image.tag': '4.1.0'},
}
# What the drift check must report on the chart's own rendering (the defects of issue 27), as (kind, ports).
CHART_DEFECTS = {
    'chart default': {
        ('k8s_unexposed_listener', (8290,)),  # 8290 never exposed
        ('management_exposed', (9164,)), ('management_exposed', (9201,)),  # no NetworkPolicy
        ('k8s_probe_not_health', (8253,)),  # startup probe nc -z on 8253
        ('k8s_grace_short', ()),  # MI 4.6 shuts down for up to 180 s; the pod gets 30
    },
    'overridden ports, offset 3': {
        ('k8s_unexposed_listener', (8303,)), ('k8s_unexposed_listener', (9303,)),  # overrides not followed
        ('k8s_unexposed_listener', (9403,)), ('k8s_unexposed_listener', (9008,)),
        ('k8s_dead_port', (9157,)), ('k8s_dead_port', (9194,)), ('k8s_dead_port', (9001,)),  # default+offset-10
        ('k8s_probe_path', (9194,)),  # /liveness on MI 4.1
        ('management_exposed', (9303,)), ('management_exposed', (9403,)), ('management_exposed', (9008,)),
        ('k8s_probe_not_health', (8246,)),
    },
}


def test_without_the_gateway_api_the_one_service_is_patched(tmp_path):
    need_corpus(HELM_MI)
    values = chart_values(**{'wso2.gatewayAPI.enabled': False, 'wso2.config.portOffset': 3})
    rendered, toml = render_chart(values)
    assert [item['metadata']['name'] for item in rendered if item['kind'] == 'Service'] == ['cloud-orders']
    folder = _mi_folder(tmp_path, 'mi', toml, '4.6.0')
    k8s = run_module('k8s_manifests', {'path': str(folder), 'name': 'orders', 'mi_version': '4.6.0',
                                       'helm': {'release': 'orders', 'gateway_api': False}}, tmp_path=tmp_path)
    assert [patch['target']['name'] for patch in k8s['helm_patches']] == ['cloud-orders', 'cloud-orders']
    assert _kinds(k8s_drift(k8s, rendered)) >= {('k8s_unexposed_listener', (8283,))}
    patched = apply_patches(rendered, k8s['helm_patches']) + k8s['network_policies']
    assert k8s_drift(k8s, patched)['findings'] == []


def _mi_folder(tmp_path, name, toml, version):
    folder = tmp_path / name
    (folder / 'conf').mkdir(parents=True)
    (folder / 'conf' / 'deployment.toml').write_text(toml)
    (folder / 'updates').mkdir()
    (folder / 'updates' / 'product.txt').write_text('wso2mi-%s\n' % version)
    return folder


def _chart_case(tmp_path, case):
    values = chart_values(**CASES[case])
    values['wso2']['config']['admin']['password'] = SECRET
    rendered, toml = render_chart(values)
    deployment = next(item for item in rendered if item['kind'] == 'Deployment')
    container = deployment['spec']['template']['spec']['containers'][0]
    version = values['wso2']['deployment']['image']['tag']
    folder = _mi_folder(tmp_path, 'mi', toml, version)
    return values, rendered, folder, {'jvm_args': container.get('args') or [], 'environment': CHART_ENV,
                                      'mi_version': version}


def _run_both(folder, start, **options):
    """(k8s_manifests result, instances result) for the same files and the same start."""
    args = folder.parent / ('args-' + folder.name)  # a folder per home: homes run side by side
    args.mkdir()
    k8s = run_module('k8s_manifests', dict(start, path=str(folder), name='orders', management_sources=ADMINS,
                                           monitoring_sources=MONITORING, **options), tmp_path=args)
    instance = {'name': 'orders', 'home': str(folder), 'jvm_args': start.get('jvm_args'),
                'environment': start.get('environment', {})}
    host = run_module('instances', {'instances': [instance], 'check_listeners': False}, check=True, tmp_path=args)
    return k8s, host


def _check_objects(k8s, host):
    """The Service and the container list exactly the listeners the instances module reports; every object
    validates; the probes hit the internal HTTP port with the version's paths; the policies admit what was asked."""
    assert k8s.get('failed') is not True and host.get('failed') is not True, (k8s.get('msg'), host.get('msg'))
    listeners = sorted((item['name'], item['port']) for item in host['listeners'])
    assert sorted((item['name'], item['port']) for item in k8s['listeners']) == listeners
    assert sorted(port['port'] for port in k8s['service']['spec']['ports']) == sorted(port for _n, port in listeners)
    assert sorted(port['containerPort'] for port in k8s['container_ports']) == sorted(port for _n, port in listeners)
    internal = dict(listeners)['management_http']
    probes = k8s['probes']
    assert probes['readinessProbe']['httpGet'] == {'path': '/healthz', 'port': internal, 'scheme': 'HTTP'}
    assert probes['startupProbe']['httpGet']['port'] == internal
    if host['instances'][0]['liveness']:
        assert probes['livenessProbe']['httpGet'] == {'path': '/liveness', 'port': internal, 'scheme': 'HTTP'}
    else:
        assert probes['livenessProbe'] == dict(probes['livenessProbe'], tcpSocket={'port': internal})
    assert k8s['termination_grace_period_seconds'] >= host['instances'][0]['graceful_shutdown_timeout']
    assert admitted(k8s['network_policies']) == wanted_access(host['listeners'], None, ADMINS, MONITORING)
    assert sorted(policy['metadata']['name'] for policy in k8s['network_policies']) == [
        'orders-inbound', 'orders-management', 'orders-monitoring', 'orders-public']
    for item in k8s['objects']:
        validate(item)


def _kinds(drift):
    return set((item['kind'], tuple(item['ports'])) for item in drift['findings'])


@pytest.mark.parametrize('case', sorted(CASES))
def test_the_chart_config_gets_every_listener_and_its_rendering_drifts_as_the_issue_says(tmp_path, case):
    need_corpus(HELM_MI)
    values, rendered, folder, start = _chart_case(tmp_path, case)
    k8s, host = _run_both(folder, start, helm={'release': 'orders'})
    _check_objects(k8s, host)
    assert SECRET not in json.dumps(k8s)
    assert k8s['deployment_patch'] == k8s['helm_patches'][0]
    assert _kinds(k8s_drift(k8s, rendered)) == CHART_DEFECTS[case]
    # The chart with the overlay, then the patches and the policies: what a post-renderer gives. No drift left.
    overlaid_values = deep_merge(values, k8s['helm_values'])
    overlaid, toml = render_chart(overlaid_values)
    assert toml == (folder / 'conf' / 'deployment.toml').read_text()  # the overlay keeps the chart's file
    patched = apply_patches(overlaid, k8s['helm_patches']) + k8s['network_policies']
    assert k8s_drift(k8s, patched)['findings'] == []
    for version in KUBERNETES_VERSIONS:  # the chart renders some fields only for some versions (appArmorProfile)
        for item in apply_patches(render_chart(overlaid_values, kube_version=version)[0], k8s['helm_patches']):
            validate(_without_null_args(item), [version])
    deployment = next(item for item in patched if item['kind'] == 'Deployment')
    container = deployment['spec']['template']['spec']['containers'][0]
    assert 'exec' not in container['startupProbe'] and container['ports'] == k8s['container_ports']


def _without_null_args(item):
    """The chart renders an empty `args:` (null) when it passes no argument: the schema refuses null there,
    the API server reads it as absent; that is the chart's, not the patch's."""
    if item['kind'] == 'Deployment':
        for container in item['spec']['template']['spec']['containers']:
            if container.get('args') is None:
                container.pop('args', None)
    return item


def _problems(folder):
    """What the module refuses in the folder (its own read and plan, in this process)."""
    return read_folder({'name': 'orders', 'path': str(folder), 'jvm_args': None, 'environment': {},
                        'inbound_endpoints': [], 'mi_version': '4.6.0'})[1]


def _corpus_homes(tmp_path, toml):
    """Every artifact of the corpus deployed on as few MI homes as MI can run (an artifact goes to the first home
    where it clashes with nothing); one MI cannot deploy even alone gets a home of its own. [(labels, folder)]."""
    homes = []
    for path in sorted(ENDPOINT_FILES.glob('*.xml')) + sorted(CAPPS.glob('*.car')):
        kind = {'capps': [path.name]} if path.suffix == '.car' else {'endpoint_files': [path.name]}
        where = deploy_dir(path)
        for labels, folder in homes + [([], None)]:
            if folder is None:
                folder = _mi_folder(tmp_path, 'mi%02d' % len(homes), toml, '4.6.0')
                homes.append((labels, folder))
            deploy(folder, **kind)
            if not _problems(folder) or labels == []:
                labels.append(path.name)
                break
            (folder / where / path.name).unlink()
    return homes


def deploy_dir(path):
    return CAPPS_DIR if path.suffix == '.car' else ENDPOINTS_DIR


def test_every_mi_home_of_the_artifacts_corpus(tmp_path):
    need_corpus(ARTIFACTS)
    need_corpus(HELM_MI)
    rendered, toml = render_chart(chart_values())
    homes = _corpus_homes(tmp_path, toml)
    artifacts = len(list(ENDPOINT_FILES.glob('*.xml'))) + len(list(CAPPS.glob('*.car')))
    assert sum(len(labels) for labels, _folder in homes) == artifacts and len(homes) < artifacts / 3
    results = [_run_both(folder, {'mi_version': '4.6.0'}, helm={'release': 'orders'}) for _labels, folder in homes]
    inbound_ports = 0
    for (labels, _folder), (k8s, host) in zip(homes, results):
        if host.get('failed'):  # MI cannot deploy it (HL7_Inbound.xml has no port): the same refusal, no object
            assert k8s['failed'] is True and 'service' not in k8s, labels
            assert host['problems'][0].split(': ', 1)[1] in k8s['msg'], labels
            continue
        _check_objects(k8s, host)
        inbound = set(item['port'] for item in host['listeners'] if item.get('endpoint'))
        inbound_ports += len(inbound)
        unexposed = set(item['ports'][0] for item in k8s_drift(k8s, rendered)['findings']
                        if item['kind'] == 'k8s_unexposed_listener')
        assert unexposed == inbound | {8290}, labels  # the chart cannot expose an inbound endpoint
    assert inbound_ports >= 10  # the corpus's listening endpoints: http, ws, httpws, httpswss and the CApps'


def test_the_refusals_of_a_host(tmp_path):
    need_corpus(ARTIFACTS)
    two = deploy(_mi_folder(tmp_path, 'two', '[server]\noffset = 10\n', '4.6.0'), capps=[BETA1, HOT_BETA1])
    result = run_module('k8s_manifests', {'path': str(two), 'name': 'two'}, tmp_path=tmp_path)
    assert result['failed'] is True and 'objects' not in result
    assert 'TestInbound' in result['msg'] and 'no object was made' in result['msg']
    clash = deploy(_mi_folder(tmp_path, 'clash', '[server]\noffset = 10\n', '4.6.0'),
                   written=[('clash.xml', endpoint_xml('Clash', 'http', {'inbound.http.port': '8290'}))])
    result = run_module('k8s_manifests', {'path': str(clash), 'name': 'clash'}, tmp_path=tmp_path)
    assert 'transport.http.listener.port and inbound.Clash would both listen on 8290' in result['msg']
    clean = _mi_folder(tmp_path, 'clean', '[server]\noffset = 10\n', '4.6.0')
    result = run_module('k8s_manifests', {'path': str(clean), 'name': 'clean', 'management_sources': ['0.0.0.0/0']},
                        tmp_path=tmp_path)
    assert result['failed'] is True and 'never opened to every address' in result['msg']


def test_the_fleet_report_shows_a_deployment_beside_the_hosts(tmp_path):
    need_corpus(HELM_MI)
    _values, rendered, folder, start = _chart_case(tmp_path, 'chart default')
    k8s = run_module('k8s_manifests', dict(start, path=str(folder), name='orders', helm={'release': 'orders'}),
                     tmp_path=tmp_path)
    report = fleet({'k8s default/orders': k8s_drift(k8s, {'resources': rendered}), 'host1': None})
    assert report['summary']['findings']['critical'] == 2 and report['summary']['hosts_not_audited'] == 1
    assert [item['host'] for item in report['findings']][:2] == ['k8s default/orders'] * 2
    page = render_html(report)
    assert 'Deployment default/cloud-orders' in page and 'Kubernetes manifests (not a running pod)' in page
    assert '| critical | k8s default/orders | orders | 9164 |' in render_markdown(report)


def test_the_playbook_computes_and_shows_the_objects_without_kubernetes_core(tmp_path, monkeypatch):
    # Only this checkout's collection is visible (not those the ansible package bundles): kubernetes.core is absent,
    # and a run that does not apply needs none.
    monkeypatch.setenv('ANSIBLE_COLLECTIONS_SCAN_SYS_PATH', 'false')
    folder = _mi_folder(tmp_path, 'mi', '[server]\noffset = 3\n[super_admin]\npassword = "%s"\n' % SECRET, '4.1.0')
    rc, out = ansible(tmp_path, 'ansible-playbook', str(REPO / 'playbooks' / 'k8s.yml'), '-e', 'k8s_apply=false',
                      '-e', 'k8s_mi_folder=%s' % folder, '-e', 'k8s_name=orders')
    assert rc == 0, out
    shown = ' '.join(out.split()).replace("''", "'")  # the YAML callback folds and quotes the message
    assert 'Service orders: https 8246, http 8283, internal-https 9157, internal-http 9194' in shown
    assert "'path': '/healthz', 'port': 9194" in shown and 'MI 4.1.0' in shown and SECRET not in out


def test_the_audit_playbook_shows_a_deployment_beside_its_hosts(tmp_path):
    need_corpus(HELM_MI)
    _values, rendered, folder, start = _chart_case(tmp_path, 'chart default')
    k8s = run_module('k8s_manifests', dict(start, path=str(folder), name='orders', helm={'release': 'orders'}),
                     tmp_path=tmp_path)
    extra = tmp_path / 'extra.json'
    extra.write_text(json.dumps({'mi_audit_kubernetes': {'k8s default/orders': k8s_drift(k8s, rendered)}}))
    rc, out = ansible(tmp_path, 'ansible-playbook', '-i', 'localhost,', '-c', 'local', '-e', '@%s' % extra,
                      '-e', 'ansible_python_interpreter=%s' % sys.executable,
                      '-e', 'audit_hosts=localhost', '-e', 'mi_audit_become=false', '-e', 'mi_audit_discover=false',
                      '-e', 'mi_audit_report_dir=%s' % (tmp_path / 'report'), str(REPO / 'playbooks' / 'audit.yml'))
    assert rc == 0, out
    report = json.loads((tmp_path / 'report' / 'mi-audit.json').read_text())
    assert [host['host'] for host in report['hosts']] == ['k8s default/orders', 'localhost']
    assert ('k8s default/orders', 'management_exposed') in set((item['host'], item['kind']) for item in report['findings'])
