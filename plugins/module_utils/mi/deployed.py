# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inbound endpoints deployed on one MI home, from its files: what each opens, or why MI cannot deploy it.

Pure Python, no Ansible, stdlib only (it runs on managed hosts). MI deploys
``repository/deployment/server/synapse-configs/default/inbound-endpoints/*.xml`` (local entries from
``.../local-entries/*.xml``) and every CApp of ``repository/deployment/server/carbonapps/*.car``.
"""

import os

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


def _listing(folder, suffix):
    """Sorted paths of the folder's files ending in suffix; [] when the folder does not exist."""
    try:
        names = os.listdir(folder)
    except (IOError, OSError):
        return []
    return [os.path.join(folder, name) for name in sorted(names)
            if name.endswith(suffix) and os.path.isfile(os.path.join(folder, name))]


def _read_small(path):
    with open(path, 'rb') as handle:
        data = handle.read(MAX_XML_BYTES + 1)
    if len(data) > MAX_XML_BYTES:
        raise ArtifactProblem('%s is larger than the %d bytes an artifact XML may have here' % (path, MAX_XML_BYTES))
    return data


def _xml_files(folder, problems):
    """[(path, bytes)] of the folder's *.xml files; one that cannot be read is a problem."""
    found = []
    for path in _listing(folder, '.xml'):
        try:
            found.append((path, _read_small(path)))
        except (IOError, OSError, ArtifactProblem) as exc:
            problems.append('%s cannot be read: %s' % (path, getattr(exc, 'strerror', None) or exc))
    return found


def _file_values(path):
    """{key: value} of the properties file (read as ISO-8859-1, as Properties.load does), or None."""
    if path is None:
        return None
    try:
        with open(path, 'rb') as handle:
            return parse_properties(handle.read().decode('latin-1'))
    except (IOError, OSError):
        return None


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


def read_deployed(home, environment=None, properties=None, nested=True, httpws=True):
    """{'endpoints': [...], 'problems': [...]} of the inbound endpoints deployed on home.

    environment and properties: what MI starts with (for $SYSTEM:, ${configs.} and -Dproperties.file.path);
    nested: read CApps under a CApp's dependencies/ (MI 4.5+); httpws: MI knows the httpws and httpswss protocols
    (4.1+; before, such an endpoint cannot be deployed and opens nothing). Each endpoint is inbound.endpoint_listener()'s
    dict plus 'capp' (the .car path, or None for a file of inbound-endpoints/). problems: artifacts MI
    cannot deploy (and so whose ports cannot be known); two endpoints of one name are a problem too.
    """
    environment, properties = environment or {}, properties or {}
    problems = []
    file_path = properties_file(home, properties)
    file_values = _file_values(file_path)

    def context(entries):
        return ParameterContext(environment, properties, file_path, file_values, entries)

    local = _local_entries(_xml_files(os.path.join(home, LOCAL_ENTRIES_DIR), problems), problems)
    endpoints = _endpoints(_xml_files(os.path.join(home, ENDPOINTS_DIR), problems), context(local), problems)
    for path in _listing(os.path.join(home, CAPPS_DIR), '.car'):
        read = capps.read_capp(path, nested)
        problems.extend(read['problems'])
        entries = dict(local, **_local_entries(read['local_entries'], problems))
        endpoints.extend(_endpoints(read['endpoints'], context(entries), problems, path))
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
