# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read what every MI instance of a host is: its deployment.toml, what it starts with, its running JVMs.

Shared by the host module (wso2ops.micro_integrator.instances) and the audit module
(wso2ops.micro_integrator.audit_info): one read, the same facts for both. `module` is the
AnsibleModule (get_bin_path, run_command); everything else is plain data.
"""

import os
import shlex

from ansible.module_utils.common.text.converters import to_native

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi import startup as mi_startup
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi import version as mi_version
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.deployed import read_deployed
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common import proc as proc_scan
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common import systemd as systemd_unit
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.values import system_properties
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.fileio import FileProblem, open_folder

CONFIG = os.path.join('conf', 'deployment.toml')
TASK = 'the jvm_args given'  # where a -D property of the task's own jvm_args comes from


def unit_startup(module, service):
    """(startup, problems): what the systemd unit starts MI with (mi_startup.startup), or a problem."""
    systemctl = module.get_bin_path('systemctl')
    if not systemctl:
        return None, ['service %s is given but systemctl is not available on this host' % service]
    argv = systemd_unit.show_argv(service)
    rc, out, err = module.run_command([systemctl] + argv[1:])
    if rc != 0:
        return None, ['cannot read the unit %s: %s' % (service, (err or out).strip())]
    found = mi_startup.startup(systemd_unit.parse_show(out))
    return found, found['problems']


def own_context(instance):
    """The jvm_args and environment given in the task: they come after (and win over) the unit's."""
    jvm_args = instance.get('jvm_args')
    system_properties(jvm_args)  # refuses what is neither a string nor a list
    words = shlex.split(jvm_args) if isinstance(jvm_args, str) else [str(arg) for arg in jvm_args or []]
    return words, dict(instance.get('environment') or {})


def startup_of(module, instance, running):
    """(startup, problems): the unit's when there is one (the next start uses it), else the running JVM's."""
    problems = []
    if instance.get('service'):
        startup, problems = unit_startup(module, instance['service'])
        startup = startup or {}
    elif running:
        process = running[0]
        startup = dict(mi_startup.process_startup(process['argv'], process['environ']),
                       environment=process['environ'] or {}, active=True)
    else:
        startup = {}
    words, environment = own_context(instance)
    merged_env = dict(startup.get('environment') or {}, **environment)
    jvm_args = list(startup.get('jvm_args') or []) + words
    own = system_properties(words)
    properties = dict(startup.get('system_properties') or {}, **own)
    sources = dict(startup.get('property_sources') or {}, **dict.fromkeys(own, TASK))
    return dict(startup, jvm_args=jvm_args, environment=merged_env, system_properties=properties,
                property_sources=sources), problems


def read_home(home, startup, version=None):
    """(snapshot of deployment.toml or None, problems, version, deployed) of the MI home at the path home: the home
    is opened once (common.fileio: links checked) and every file under it is read through that folder. version: the
    MI version to read it as (a container's), instead of the one its files name."""
    try:
        folder = open_folder(home, missing_ok=True)
        if folder is None:
            raise FileProblem('the file does not exist; check the MI home (%s does not exist)' % home)
    except FileProblem as exc:
        return None, ['%s: %s' % (os.path.join(home, CONFIG), to_native(exc))], None, {'endpoints': [], 'problems': []}
    problems = []
    try:
        snapshot = folder.read(CONFIG)  # what a write must find unchanged, in the folder it is written through
        snapshot.text  # pylint: disable=pointless-statement  # not UTF-8: a problem here, not a traceback later
    except FileProblem as exc:
        snapshot = None
        problems.append('%s: %s' % (os.path.join(folder.path, CONFIG), to_native(exc)))
    if version is None:
        version, _path = mi_version.read_version(folder)
    found = mi_version.features(version, {})
    deployed = read_deployed(folder, startup.get('environment'), startup.get('system_properties'),
                             nested=found['nested_capps'], httpws=found['httpws'],
                             outside_home=(startup.get('property_sources') or {}).get('properties.file.path') == TASK)
    return snapshot, problems, version, deployed


def read_instances(module, instances, processes):
    """{name: {'path', 'home_key', 'text' (None when unreadable), 'snapshot' (fileio.Snapshot, when read), 'problems',
    'startup', 'pids', 'processes', 'file_mtime', 'started' (when its oldest JVM started, or None),
    'version' (tuple or None), 'deployed' (mi.deployed.read_deployed())}}.

    processes: proc_scan.carbon_processes(), read once for the host; 'processes' are those of the
    instance's home (with their argv and environ: environ values can be secrets, never return them).
    """
    current = {}
    booted = None
    for instance in instances:
        home = instance['home']
        running = proc_scan.processes_of_home(processes, home)
        if running and booted is None:
            booted = proc_scan.boot_time()
        starts = [found for found in (proc_scan.start_time(p['pid'], booted=booted) for p in running) if found]
        entry = {'home_key': proc_scan.home_key(home), 'pids': [p['pid'] for p in running], 'processes': running,
                 'started': min(starts) if starts else None}
        entry['startup'], found = startup_of(module, instance, running)
        snapshot, entry['problems'], entry['version'], entry['deployed'] = read_home(home, entry['startup'])
        entry['problems'].extend(found)
        if snapshot is not None:
            entry.update(snapshot=snapshot, path=snapshot.path, text=snapshot.text, file_mtime=snapshot.info.st_mtime)
        else:
            entry.update(path=os.path.join(proc_scan.home_key(home), CONFIG), text=None, file_mtime=None)
        current[instance['name']] = entry
    return current
