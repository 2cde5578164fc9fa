# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The MI version of a home, and what differs between versions for ports, probes and restarts.

Pure Python, no Ansible. MI's distribution ships ``<MI_HOME>/updates/product.txt`` holding
``wso2mi-<version>`` (wso2/product-integrator-mi: distribution/src/resources/updates/product.txt, text
``${product.wum.name}-${product.version}``, copied to ``wso2mi-${pom.version}/updates`` by
distribution/src/assembly/bin.xml); ``bin/version.txt`` (the same assembly) names the version too.
Graceful shutdown: CT/default.json ``server.gracefulShutdownEnabled`` true and ``server.gracefulShutdownTimeout``
"180000" (ms), set as ``[server] graceful_shutdown_enabled`` / ``graceful_shutdown_timeout``
(CT/key-mappings.json), on by default from 4.5 (MI-FACTS.md, "MI versions").
"""

import os
import re

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.fileio import FileProblem, home_folder
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.values import PortError, parse_flag, parse_int

VERSION_FILES = (os.path.join('updates', 'product.txt'), os.path.join('bin', 'version.txt'))
MAX_VERSION_BYTES = 4096  # 'wso2mi-4.3.0' and a newline
_VERSION = re.compile(r'(\d+)\.(\d+)\.(\d+)')
DEFAULT_GRACEFUL_MS = 180000
LIVENESS_SINCE = (4, 2)
HTTPWS_SINCE = (4, 1)
GRACEFUL_SINCE = (4, 5)
NESTED_CAPPS_SINCE = (4, 5)


def parse_version(text):
    """(major, minor, patch) of the first x.y.z in text, or None."""
    found = _VERSION.search(text or '')
    return tuple(int(part) for part in found.groups()) if found else None


def read_version(home):
    """(version tuple or None, the file it was read from or None). home: a path or an open fileio.Folder; a
    version file that is missing, no regular file or too big is passed over (the next one, else unknown)."""
    folder = home_folder(home)
    for name in VERSION_FILES if folder is not None else ():
        try:
            snapshot = folder.read(name, limit=MAX_VERSION_BYTES)
        except FileProblem:
            continue
        version = parse_version(snapshot.data.decode('utf-8', 'replace'))
        if version:
            return version, snapshot.path
    return None, None


def _server(config, key):
    server = config.get('server') if isinstance(config, dict) else None
    return server.get(key) if isinstance(server, dict) else None


def graceful_shutdown_seconds(version, config):
    """How long a stopping MI may hold its ports: [server] graceful_shutdown_timeout (ms) while graceful shutdown
    is on (the default from 4.5; an unknown version counts as 4.5+, the longer wait), else 0."""
    if version is not None and version < GRACEFUL_SINCE:
        return 0
    try:
        enabled = _server(config, 'graceful_shutdown_enabled')
        if enabled is not None and not parse_flag(enabled, 'server.graceful_shutdown_enabled'):
            return 0
        stored = _server(config, 'graceful_shutdown_timeout')
        millis = DEFAULT_GRACEFUL_MS if stored is None else parse_int(stored, 'server.graceful_shutdown_timeout', '')
    except PortError:
        millis = DEFAULT_GRACEFUL_MS  # MI would not start with it: the default wait is the safe one
    return max(0, -(-millis // 1000))


def features(version, config):
    """{'mi_version', 'liveness', 'graceful_shutdown_timeout' (s), 'httpws', 'nested_capps'} of a home.
    An unknown version: no /liveness (/healthz is served by every 4.x), the 4.5+ graceful wait and nested CApps."""
    known = version is not None
    return {
        'mi_version': '.'.join(str(part) for part in version) if known else None,
        'liveness': known and version >= LIVENESS_SINCE,
        'graceful_shutdown_timeout': graceful_shutdown_seconds(version, config),
        'httpws': not known or version >= HTTPWS_SINCE,
        'nested_capps': not known or version >= NESTED_CAPPS_SINCE,
    }
