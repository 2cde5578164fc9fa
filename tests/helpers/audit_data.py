"""Plain data as the audit module reads it (instances, running JVMs, a firewall), shared by the audit's unit
tests, the report tests and the browser test."""

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.audit.host import audit_host
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.firewall.reach import rule
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.startup import BOOTSTRAP_CLASS

STARTED = 1000000.0
DEFAULT_PORTS = [8290, 8253, 9201, 9164]


def jvm(pid, ports, home='/opt/mi/a', args=(), started=STARTED, address='0.0.0.0', options=()):
    """A running MI JVM as proc_scan and the module read it."""
    argv = ['java'] + list(options) + ['-Dcarbon.home=%s' % home, BOOTSTRAP_CLASS] + list(args)
    return {'pid': pid, 'argv': argv, 'environ': {}, 'started': started,
            'sockets': [{'family': 4, 'address': address, 'port': port, 'pids': [pid], 'programs': ['java']}
                        for port in ports]}


def instance(name='a', text='[server]\n', processes=None, jvm_args=(), mtime=STARTED - 60, listed=True, **extra):
    entry = {'name': name, 'home': '/opt/mi/%s' % name, 'service': 'mi-%s' % name, 'listed': listed,
             'path': '/opt/mi/%s/conf/deployment.toml' % name, 'text': text, 'problems': [],
             'startup': {'jvm_args': list(jvm_args), 'environment': {}, 'unit': 'mi-%s.service' % name,
                         'active': bool(processes), 'property_sources': {'portOffset': 'JAVA_OPTS (/etc/default/mi)'}},
             'inbound_endpoints': [], 'file_mtime': mtime,
             'processes': [jvm(101, DEFAULT_PORTS)] if processes is None else processes}
    entry.update(extra)
    return entry


def firewall(rules=(), guarded=True, default='closed'):
    """One chain of rules {'port', 'source', 'action', 'owner' ('ours' with 'instance' and 'name'), 'text'}."""
    plain = [rule([(item['port'], item['port'])], item.get('source'), item.get('action', 'accept'),
                  'wso2ops-mi %s %s' % (item['instance'], item['name']) if item.get('owner') == 'ours' else None,
                  item.get('text', 'rule %d' % index)) for index, item in enumerate(rules)]
    return {'backend': 'nftables', 'guarded': guarded, 'reason': 'test', 'notes': [],
            'chains': [{'name': 'input', 'policy': default, 'rules': plain}]}


OPEN_AS_INTENDED = firewall([{'port': 8290}, {'port': 8253}, {'port': 9201, 'source': '10.0.0.0/8'},
                             {'port': 9164, 'source': '10.1.0.0/16'}])


def host_result(entries, fw='as intended'):
    """What audit_info returns for a host (the module adds the summary; the report does not need it)."""
    fw = OPEN_AS_INTENDED if fw == 'as intended' else fw
    sockets = [s for entry in entries for p in entry['processes'] for s in p['sockets']]
    return audit_host(entries, {'firewall': fw, 'ephemeral': (32768, 60999),
                                'sockets': lambda ports: [s for s in sockets if s['port'] in ports]})


def sample():
    drifted = [instance(text='[server]\noffset = 13\n', mtime=STARTED + 30),
               instance('b', text='[server]\noffset = 20\n',
                        processes=[jvm(102, [8300, 8263, 9211, 9174, 7777], home='/opt/mi/b')])]
    exposed = firewall([{'port': 8290}, {'port': 8253}, {'port': 9201, 'source': '10.0.0.0/8'}, {'port': 9164}])
    return {
        'web1': host_result(drifted, firewall([{'port': p} for p in (8290, 8253, 8293, 8256, 8300, 8263)]
                                              + [{'port': p, 'source': '10.0.0.0/8'}
                                                 for p in (9201, 9164, 9204, 9167, 9211, 9174)])),
        'web2': host_result([instance()], exposed),
        'clean': host_result([instance()]),
        'down': {'unreachable': True, 'msg': 'ssh: connect to host down port 22: Connection refused'},
        'nothing': None,
    }


ICP_46 = ('[server]\nhostname = "%s"\n[icp_config]\nenabled = true\nicp_url = "https://10.89.170.20:9445"\n'
          'secret = "icp-hmac-never-shown"\n')


def control_plane_sample():
    """Two MI 4.6 hosts with ICP at 10.89.170.20: one whose management port -DportOffset=15 moved (ICP is told 9164,
    MI listens on 9169), one whose management sources leave ICP out; both as the audit module returns them."""
    from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.audit.control_plane import add_control_plane

    moved = instance('orders', text=ICP_46 % 'mi1.example', jvm_args=['-DportOffset=15'], version=(4, 6, 0),
                     processes=[jvm(101, [8295, 8258, 9206, 9169], home='/opt/mi/orders', args=['-DportOffset=15'])])
    moved_fw = firewall([{'port': 8295}, {'port': 8258}, {'port': 9206, 'source': '10.0.0.0/8'},
                         {'port': 9169, 'source': '10.89.170.0/24'}])
    left_out = instance('billing', text=ICP_46 % 'mi2.example', version=(4, 6, 0),
                        processes=[jvm(102, DEFAULT_PORTS, home='/opt/mi/billing')])
    left_out_fw = firewall([{'port': 8290}, {'port': 8253}, {'port': 9201, 'source': '10.0.0.0/8'},
                            {'port': 9164, 'source': '10.1.0.0/16'}])
    return {'mi1': add_control_plane(host_result([moved], moved_fw), [moved], moved_fw),
            'mi2': add_control_plane(host_result([left_out], left_out_fw), [left_out], left_out_fw)}
