# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Carbon applications (CApps, ``.car`` zip files): the inbound endpoints and local entries they deploy.

Pure Python, no Ansible, stdlib only. A CApp (MI's CappDeployer / AppDeployerUtils in wso2/product-integrator-mi)
has ``artifacts.xml`` at its root naming the application's dependencies (artifact name and version); every
artifact has a folder with an ``artifact.xml`` (``<artifact name version type><file>X.xml</file>``) whose type
says what it is (``synapse/inbound-endpoint``, ``synapse/local-entry``...). From MI 4.5 a CApp may carry
further CApps under ``dependencies/``, deployed with it.
Only the zip's central directory and the few small XML members needed are read, each capped: a CApp of
hundreds of MB (connectors, jars) costs no more than its listing. A CApp may have been crafted by MI's service
account, so every cost is bounded before it is paid: the number of entries (read from the zip's end record before
Python's zipfile lists them), the bytes of each XML member, the depth of nesting and the bytes a nested CApp may
unpack to (per CApp and per run, counted while copying, so a small member that inflates to gigabytes stops early).
"""

import posixpath
import struct
import tempfile
import zipfile
import zlib

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.inbound import (
    MAX_XML_BYTES,
    ArtifactProblem,
    parse_xml,
)

MAX_DEPTH = 3  # CApps inside CApps: MI 4.5+ nests one level; deeper is refused as a likely zip bomb
MAX_ENTRIES = 20000  # entries of one CApp: MI's own have under a hundred
MAX_NESTED_BYTES = 64 << 20  # what one nested CApp may unpack to (MI's test CApps: 4 MB with a connector)
MAX_COPIED_BYTES = 256 << 20  # what all the nested CApps of one run may unpack to
COPY_CHUNK = 1 << 18
_END = b'PK\x05\x06'
_END64_LOCATOR = b'PK\x06\x07'
KINDS = {'synapse/inbound-endpoint': 'endpoints', 'synapse/local-entry': 'local_entries'}
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, NotImplementedError,
               RuntimeError, ValueError)


def _read_member(archive, info, where):
    """The member's bytes, refusing more than MAX_XML_BYTES (read at most one byte more: never the whole of a
    member that lies about its size)."""
    if info.file_size > MAX_XML_BYTES:
        raise ArtifactProblem('%s is %d bytes, more than the %d an artifact XML may have here'
                              % (where, info.file_size, MAX_XML_BYTES))
    with archive.open(info) as handle:
        data = handle.read(MAX_XML_BYTES + 1)
    if len(data) > MAX_XML_BYTES:
        raise ArtifactProblem('%s holds more than %d bytes' % (where, MAX_XML_BYTES))
    return data


def _dependencies(root):
    """(name, version) of the application's dependencies (include="false" ones are left out, as MI does)."""
    found = []
    for application in root.iter():
        if application.tag.rpartition('}')[2] != 'artifact' or application.get('type') != 'carbon/application':
            continue
        for dependency in application:
            if dependency.tag.rpartition('}')[2] == 'dependency' and dependency.get('include') != 'false':
                found.append((dependency.get('artifact'), dependency.get('version')))
    return found


def _artifacts(archive, names, where):
    """{(name, version): (folder, type, file)} of the top-level folders' artifact.xml. A folder without another
    XML file (a jar, a connector zip, a registry resource) deploys neither endpoint nor local entry: its
    artifact.xml is not read."""
    with_xml = set(name.split('/')[0] for name in names if name.count('/') == 1 and name.endswith('.xml')
                   and not name.endswith('/artifact.xml'))
    found = {}
    for folder in sorted(with_xml):
        info = names.get(folder + '/artifact.xml')
        if info is None:
            continue
        root = parse_xml(_read_member(archive, info, '%s!%s' % (where, info.filename)),
                         '%s!%s' % (where, info.filename))
        files = [child.text for child in root if child.tag.rpartition('}')[2] == 'file' and child.text]
        found[(root.get('name'), root.get('version'))] = (folder, root.get('type'), files[0].strip() if files else None)
    return found


def _read_archive(archive, where, result, depth, nested):
    names = dict((info.filename, info) for info in archive.infolist())
    if 'artifacts.xml' not in names:
        raise ArtifactProblem('%s has no artifacts.xml: it is not a CApp MI can deploy' % where)
    root = parse_xml(_read_member(archive, names['artifacts.xml'], '%s!artifacts.xml' % where),
                     '%s!artifacts.xml' % where)
    artifacts = _artifacts(archive, names, where)
    wanted = {'endpoints': [], 'local_entries': []}
    for dependency in _dependencies(root):
        folder, kind, file_name = artifacts.get(dependency, (None, None, None))
        if kind not in KINDS:
            continue
        member = posixpath.join(folder, file_name or '')
        if not file_name or member not in names:
            result['problems'].append('%s!%s/artifact.xml names the file %r, which the CApp does not hold'
                                      % (where, folder, file_name))
            continue
        wanted[KINDS[kind]].append(('%s!%s' % (where, member), names[member]))
    endpoints = [(inner, _read_member(archive, info, inner)) for inner, info in wanted['endpoints']]
    result['endpoints'].extend(endpoints)
    if any(b'key=' in data for _inner, data in endpoints):  # local entries matter only to key= parameters
        result['local_entries'].extend((inner, _read_member(archive, info, inner))
                                       for inner, info in wanted['local_entries'])
    if not nested:
        return
    for name in sorted(names):
        if name.startswith('dependencies/') and name.endswith('.car') and name.count('/') == 1:
            _read_nested(archive, names[name], '%s!%s' % (where, name), result, depth + 1)


class Budget:
    """The bytes nested CApps may still unpack to in this run."""

    def __init__(self, total=MAX_COPIED_BYTES):
        self.left = total


def _copy_capped(handle, copy, where, budget):
    """Copy a nested CApp's member in chunks, stopping as soon as it passes its own cap or the run's."""
    copied = 0
    while True:
        chunk = handle.read(COPY_CHUNK)
        if not chunk:
            return
        copied += len(chunk)
        budget.left -= len(chunk)
        if copied > MAX_NESTED_BYTES:
            raise ArtifactProblem('%s unpacks to more than %d MiB; refused (a nested CApp of MI is a few MB)'
                                  % (where, MAX_NESTED_BYTES >> 20))
        if budget.left < 0:
            raise ArtifactProblem('%s: the nested CApps of this MI home unpack to more than %d MiB in all; refused'
                                  % (where, MAX_COPIED_BYTES >> 20))
        copy.write(chunk)


def _read_nested(archive, info, where, result, depth):
    if depth > MAX_DEPTH:
        result['problems'].append('%s: CApps nested more than %d deep; refused' % (where, MAX_DEPTH))
        return
    try:
        # Copied in 256 KiB chunks to a temporary file: a zip is read from its end, and seeking in a compressed
        # member would decompress it into memory in 16 MiB steps.
        with archive.open(info) as handle, tempfile.TemporaryFile() as copy:
            _copy_capped(handle, copy, where, result['budget'])
            _check_entries(copy, where)
            with zipfile.ZipFile(copy) as inner:
                _read_archive(inner, where, result, depth, True)
    except ArtifactProblem as exc:
        result['problems'].append(str(exc))
    except _ZIP_ERRORS as exc:
        result['problems'].append('%s is not a readable zip file (%s): MI cannot deploy it' % (where, exc))


def _entry_count(stream):
    """The number of entries the zip's end record announces (its zip64 record when there is one), or None when no
    end record is found (zipfile then says why it is no zip)."""
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(max(0, size - (1 << 16) - 22))
    tail = stream.read()
    at = tail.rfind(_END)
    if at < 0 or len(tail) < at + 22:
        return None
    count = struct.unpack('<H', tail[at + 10:at + 12])[0]
    locator = tail.rfind(_END64_LOCATOR, 0, at)
    if count != 0xFFFF or locator < 0 or len(tail) < locator + 20:
        return count
    stream.seek(struct.unpack('<Q', tail[locator + 8:locator + 16])[0] + 32)
    found = stream.read(8)
    return struct.unpack('<Q', found)[0] if len(found) == 8 else None


def _check_entries(stream, where):
    count = _entry_count(stream)
    stream.seek(0)
    if count is not None and count > MAX_ENTRIES:
        raise ArtifactProblem('%s holds %d entries, more than the %d read here; refused (a CApp of MI holds under '
                              'a hundred)' % (where, count, MAX_ENTRIES))


def read_capp(stream, where, nested=True, budget=None):
    """{'endpoints': [(where, xml bytes)], 'local_entries': [(where, xml bytes)], 'problems': [...]} of a .car,
    given as an open binary stream (common.fileio opens it) and named where. Local entries are read only when an
    endpoint of the same archive may use one (a key= attribute).

    Each where is '<where>!<member>' ('<where>!dependencies/x.car!<member>' inside a nested CApp). nested: read
    the CApps under dependencies/ (MI 4.5 and later deploy them). budget: the Budget shared by the CApps of one
    home (a new one when None). A file that is no zip, a corrupt member, an artifact MI cannot read or a cap passed
    is a problem naming the file; nothing here raises.
    """
    result = {'endpoints': [], 'local_entries': [], 'problems': [], 'budget': budget or Budget()}
    try:
        _check_entries(stream, where)
        with zipfile.ZipFile(stream) as archive:
            _read_archive(archive, where, result, 0, nested)
    except ArtifactProblem as exc:
        result['problems'].append(str(exc))
    except _ZIP_ERRORS as exc:
        result['problems'].append('%s is not a readable zip file (%s): MI cannot deploy it' % (where, exc))
    del result['budget']
    return result
