"""The control plane in the host audit (plugins/module_utils/audit/control_plane.py) on plain data: the real port
model and firewall evaluation, a 4.6 instance moved by -DportOffset, a firewall that leaves the control plane out."""

import json

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.audit.control_plane import add_control_plane
from helpers.audit_data import firewall, host_result, instance, jvm

ICP = ('[server]\nhostname = "mi1.example"\n[icp_config]\nenabled = true\nicp_url = "https://10.89.170.20:9445"\n'
       'secret = "hmac-never-shown"\n')


def audit(entries, fw, resolve=None, probe=None):
    report = host_result(entries, fw)
    return add_control_plane(report, entries, fw, resolve, probe)


def kinds(report):
    return sorted((item['kind'], tuple(item['ports'])) for item in report['findings'] if 'control_plane' in item['kind'])


def test_a_46_instance_moved_by_portoffset_is_told_the_old_port():
    moved = instance(text=ICP, jvm_args=['-DportOffset=15'], version=(4, 6, 0),
                     processes=[jvm(101, [8295, 8258, 9206, 9169], args=['-DportOffset=15'])])
    fw = firewall([{'port': p} for p in (8295, 8258)] + [{'port': p, 'source': '10.89.170.0/24'} for p in (9206, 9169)])
    report = audit([moved], fw)
    assert kinds(report) == [('control_plane_port', (9164, 9169))]
    item = [i for i in report['findings'] if i['kind'] == 'control_plane_port'][0]
    assert '9164' in item['message'] and '9169' in item['message'] and item['severity'] == 'high'
    row = [r for r in report['instances'][0]['rows'] if r['port'] == 9169][0]
    assert 'control_plane_port' in row['findings']
    plane = report['instances'][0]['control_plane']
    assert plane['allowed'] is True and plane['address'] == '10.89.170.20'
    assert 'hmac-never-shown' not in json.dumps(report)


def test_management_sources_without_the_control_plane_block_it():
    fw = firewall([{'port': 8290}, {'port': 8253}, {'port': 9201, 'source': '10.0.0.0/8'},
                   {'port': 9164, 'source': '10.1.0.0/16'}])
    report = audit([instance(text=ICP, version=(4, 6, 0))], fw)
    assert kinds(report) == [('control_plane_blocked', (9164,))]
    assert report['instances'][0]['control_plane']['allowed'] is False


def test_a_name_is_resolved_and_probed_only_when_asked():
    text = ICP.replace('10.89.170.20', 'icp.example')
    fw = firewall([{'port': 9164, 'source': '10.1.0.0/16'}])
    quiet = audit([instance(text=text, version=(4, 6, 0))], fw)
    assert kinds(quiet) == [] and quiet['instances'][0]['control_plane']['allowed'] is None
    asked = audit([instance(text=text, version=(4, 6, 0))], fw, resolve={'icp.example': '10.89.170.20'}.get,
                  probe=lambda address, port: 'Connection refused')
    assert kinds(asked) == [('control_plane_blocked', (9164,)), ('control_plane_unreachable', ())]


def test_an_instance_without_a_control_plane_has_none():
    report = audit([instance()], firewall([{'port': 9164}]))
    assert report['instances'][0]['control_plane'] is None and kinds(report) == []
