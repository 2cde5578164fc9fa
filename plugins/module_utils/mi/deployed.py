# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inbound endpoints deployed on one MI home, from its files: what each opens, or why MI cannot deploy it.

Pure Python, no Ansible, stdlib only (it runs on managed hosts). MI deploys
``repository/deployment/server/synapse-configs/default/inbound-endpoints/*.xml`` (local entries from
``.../local-entries/*.xml``) and every CApp of ``repository/deployment/server/carbonapps/*.car``.
"""

import os

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.fileio import FileProblem, home_folder, read
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi import capps
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.inbound import (
    MAX_XML_BYTES,
    ArtifactProblem,
    endpoint_listener,
    read_endpoint,
    read_local_entry,
)
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.parameters import (
    ParameterContext,
    parse_properties,
    properties_file,
)

SYNAPSE_CONFIGS = os.path.join('repository', 'deployment', 'server', 'synapse-configs', 'default')
ENDPOINTS_DIR = os.path.join(SYNAPSE_CONFIGS, 'inbound-endpoints')
LOCAL_ENTRIES_DIR = os.path.join(SYNAPSE_CONFIGS, 'local-entries')
CAPPS_DIR = os.path.join('repository', 'deployment', 'server', 'carbonapps')
MAX_PROPERTIES_BYTES = 1 << 20  # conf/file.properties: a few lines
MAX_CAPP_BYTES = 2 << 30  # a .car is opened, never read whole: only its end record, listing and small members


def _listing(home, relative, suffix, problems):
    """(Folder or None, sorted names ending in suffix) of the folder at relative under home."""
    try:
        folder = home.folder(relative)
        return folder, (folder.names(suffix) if folder is not None else [])
    except FileProblem as exc:
        problems.append('%s: %s' % (os.path.join(home.path, relative), exc))
        return None, []


def _xml_files(home, relative, problems):
    """[(path, bytes)] of the folder's *.xml files; one that cannot be read is a problem."""
    folder, names = _listing(home, relative, '.xml', problems)
    found = []
    for name in names:
        try:
            snapshot = folder.read(name, limit=MAX_XML_BYTES, missing='the file was removed while it was read')
            found.append((snapshot.path, snapshot.data))
        except FileProblem as exc:
            problems.append('%s cannot be read: %s' % (os.path.join(folder.path, name), exc))
    return found


def _capps(home, nested, problems):
    """[(path, read_capp())] of the home's CApps, each opened under the rules of common.fileio."""
    folder, names = _listing(home, CAPPS_DIR, '.car', problems)
    budget, found = capps.Budget(), []
    for name in names:
        try:
            located, entry, _info = folder.locate(name)
            with located.open_entry(entry, MAX_CAPP_BYTES) as stream:
                where = os.path.join(located.path, entry)
                found.append((where, capps.read_capp(stream, where, nested, budget)))
        except FileProblem as exc:
            problems.append('%s cannot be read: %s' % (os.path.join(folder.path, name), exc))
    return found


def _file_values(home, given, file_path, outside_home):
    """({key: value} or None, why it is None) of the properties file that $FILE: reads (as ISO-8859-1, as
    Properties.load does). A file outside the home is read only when outside_home: the task named it; a path
    that only the running MI or its start-up files name stays unread (MI's account may have written it)."""
    if file_path is None:
        return None, None
    path = os.path.normpath(file_path)
    for root in (home.path, os.path.normpath(given)):
        if path.startswith(root.rstrip('/') + '/'):
            relative, start = path[len(root.rstrip('/')) + 1:], home
            break
    else:
        if not outside_home:
            return None, ('%s is outside the MI home and named by what MI starts with, not by the task: not read '
                          '(give -Dproperties.file.path in the instance\'s jvm_args to have it read)' % path)
        relative, start = path, None
    try:
        snapshot = start.read(relative, limit=MAX_PROPERTIES_BYTES) if start else \
            read(relative, limit=MAX_PROPERTIES_BYTES)
    except FileProblem as exc:
        return None, '%s cannot be read: %s' % (path, exc)
    return parse_properties(snapshot.data.decode('latin-1')), None


def _local_entries(items, problems):
    """{key: text or None} of local entry sources [(where, bytes)]."""
    entries = {}
    for where, data in items:
        try:
            key, text = read_local_entry(data, where)
        except ArtifactProblem as exc:
            problems.append(str(exc))
            continue
        entries[key] = text
    return entries


def _endpoints(items, context, problems, capp=None):
    found = []
    for where, data in items:
        try:
            endpoint = read_endpoint(data, where)
        except ArtifactProblem as exc:
            problems.append(str(exc))
            continue
        listener = endpoint_listener(endpoint, context, where)
        listener['capp'] = capp
        found.append(listener)
    return found


def read_deployed(home, environment=None, properties=None, nested=True, httpws=True, outside_home=False):
    """{'endpoints': [...], 'problems': [...]} of the inbound endpoints deployed on home (a path or an open
    fileio.Folder: every file is read through it, under common.fileio's rules).

    environment and properties: what MI starts with (for $SYSTEM:, ${configs.} and -Dproperties.file.path);
    outside_home: the properties file may lie outside the home (the task gave -Dproperties.file.path); nested:
    read CApps under a CApp's dependencies/ (MI 4.5+); httpws: MI knows the httpws and httpswss protocols
    (4.1+; before, such an endpoint cannot be deployed and opens nothing). Each endpoint is inbound.endpoint_listener()'s
    dict plus 'capp' (the .car path, or None for a file of inbound-endpoints/). problems: artifacts MI
    cannot deploy (and so whose ports cannot be known); two endpoints of one name are a problem too.
    """
    environment, properties = environment or {}, properties or {}
    folder = home_folder(home)
    if folder is None:
        return {'endpoints': [], 'problems': []}  # no home: the reader of deployment.toml says so
    problems = []
    given = home if isinstance(home, str) else folder.path
    file_path = properties_file(folder.path, properties)
    file_values, file_problem = _file_values(folder, given, file_path, outside_home)

    def context(entries):
        return ParameterContext(environment, properties, file_path, file_values, entries, file_problem)

    local = _local_entries(_xml_files(folder, LOCAL_ENTRIES_DIR, problems), problems)
    endpoints = _endpoints(_xml_files(folder, ENDPOINTS_DIR, problems), context(local), problems)
    for path, read_capp in _capps(folder, nested, problems):
        problems.extend(read_capp['problems'])
        entries = dict(local, **_local_entries(read_capp['local_entries'], problems))
        endpoints.extend(_endpoints(read_capp['endpoints'], context(entries), problems, path))
    if not httpws:
        for endpoint in endpoints:
            if endpoint['protocol'] in ('httpws', 'httpswss') and endpoint['listening']:
                endpoint.update(listening=False, problem='%s: protocol %s needs MI 4.1 or later: MI cannot deploy '
                                'the endpoint %s' % (endpoint['source'], endpoint['protocol'], endpoint['name']))
    problems.extend(_same_names(endpoints))
    problems.extend(endpoint['problem'] for endpoint in endpoints if endpoint['problem'] and not endpoint['suspended'])
    return {'endpoints': endpoints, 'problems': problems}


def _same_names(endpoints):
    """MI keeps one endpoint per name: a second one of the same name is not deployed."""
    seen, found = {}, []
    for endpoint in endpoints:
        if endpoint['name'] in seen:
            found.append('two inbound endpoints are named %s (%s and %s): MI deploys only the first'
                         % (endpoint['name'], seen[endpoint['name']], endpoint['source']))
        else:
            seen[endpoint['name']] = endpoint['source']
    return found


def inbound_endpoints(instance, entry):
    """The inbound endpoints of an instance for the port model: those deployed on its home (entry['deployed'],
    read_deployed()'s), then those declared in the task (a declared one replaces a deployed one of its name)."""
    return list((entry.get('deployed') or {}).get('endpoints') or []) + list(instance.get('inbound_endpoints') or [])
