# -*- coding: utf-8 -*-
# Copyright: wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Engine benchmark: edit_ports end to end (text in, text out) against bare tomlkit parse + dumps.

Both are timed in this process on the same text, alternately (which one runs first flips every
round), with the garbage collector off during each call. A case is the ratio of the two.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import gc
import os
import statistics
import time
import tomllib  # Python 3.11+, as the pinned venv

import tomlkit

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.values import PortError
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.toml.engine import TomlEditError, edit_ports

from gen_toml import generate

# What the role sends for one instance: offset and HTTP port set, the other listeners reset to default.
EDIT_PORTS = {'http': 8380, 'https': None, 'management_http': None, 'management_https': None}
EDIT_OFFSET = 3
TARGET_RATIO = 1.3


def corpus_files(corpus_dirs):
    """[(path, text)] of every valid TOML file of the corpus folders (Python's tomllib judges validity)."""
    found = []
    for folder in corpus_dirs:
        for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
            path = os.path.join(folder, name)
            if not name.endswith('.toml'):
                continue
            with open(path, 'rb') as handle:
                text = handle.read().decode('utf-8')
            text = text.lstrip('\ufeff')  # bare tomlkit does not parse a byte order mark
            try:
                tomllib.loads(text)
            except tomllib.TOMLDecodeError:
                continue
            found.append((path, text))
    return found


def _timed(function):
    gc.disable()
    try:
        start = time.perf_counter()
        function()
        return time.perf_counter() - start
    finally:
        gc.enable()


def _bare(text):
    return tomlkit.dumps(tomlkit.parse(text))


def _us(seconds):
    return [round(value * 1e6, 1) for value in seconds]


def compare(text, rounds, edit=None):
    """Timings of bare parse+dumps and of an edit of text (the role's edit by default), and the ratio per round.
    Every timing is kept (microseconds), so the figures can be recomputed from the results file."""
    edit = edit or (lambda: edit_ports(text, EDIT_PORTS, EDIT_OFFSET))
    bare, edited = [], []
    for index in range(rounds):
        pair = [(bare, lambda: _bare(text)), (edited, edit)]
        for times, function in (pair if index % 2 == 0 else pair[::-1]):
            times.append(_timed(function))
    ratios = [e / b for e, b in zip(edited, bare)]
    return {
        'rounds': rounds, 'bare_us': _us(bare), 'edit_us': _us(edited),
        'bare_min_ms': min(bare) * 1e3, 'bare_median_ms': statistics.median(bare) * 1e3,
        'edit_min_ms': min(edited) * 1e3, 'edit_median_ms': statistics.median(edited) * 1e3,
        'ratio_of_min': min(edited) / min(bare),
        'ratio_median_paired': statistics.median(ratios),
    }


def _rounds_for(text, budget_s):
    once = _timed(lambda: _bare(text))
    return max(5, min(60, int(budget_s / (2.2 * max(once, 1e-4)))))


def run_case(label, short, text, budget_s):
    """Two results for one file: an edit that changes it, and the same edit on its result (no-op)."""
    first = edit_ports(text, EDIT_PORTS, EDIT_OFFSET)
    again = edit_ports(first.text, EDIT_PORTS, EDIT_OFFSET)
    if not first.changed or again.changed:
        raise RuntimeError('%s: the benchmark edit must change the file once and then nothing' % label)
    results = []
    for kind, source in (('change', text), ('no-op', first.text)):
        result = compare(source, _rounds_for(source, budget_s))
        result.update(case=label, short=short, kind=kind, lines=source.count('\n'), bytes=len(source.encode('utf-8')),
                      changes=len(edit_ports(source, EDIT_PORTS, EDIT_OFFSET).changes))
        result['target'] = TARGET_RATIO
        result['pass'] = result['ratio_median_paired'] <= TARGET_RATIO
        results.append(result)
    return results


# Keys whose home table a file may lack, tried in this order: the edit adds the first missing table.
ADDED_TABLE_KEYS = (('transport.http.listener.port', ('transport', 'http'), 8380),
                    ('mediation.internal_http_api_port', ('mediation',), 9300),
                    ('transport.tcp.listener.port', ('transport', 'tcp'), 8500))


def _missing_table_edit(text):
    """{key: port} that makes edit_ports add a table the file lacks, or None when it has them all."""
    data = tomllib.loads(text)
    for key, table, port in ADDED_TABLE_KEYS:
        node = data
        for part in table:
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return {key: port}
    return None


def _role_edit(_text):
    return {'ports': EDIT_PORTS, 'offset': EDIT_OFFSET}


def _table_added(text):
    ports = _missing_table_edit(text)
    return {'ports': ports} if ports else None


# Operations measured on every corpus file: the role's edit of one instance (offset and HTTP port set, the other
# listeners reset), and an edit that adds a table the file lacks.
OPERATIONS = {'the role edit': _role_edit, 'a missing table added': _table_added}


def corpus_operations(files, budget_s=0.6):
    """{operation: rows} of every corpus file the operation changes, each against bare parse+dumps."""
    found = {}
    for name, make_edit in OPERATIONS.items():
        rows, refused = [], []
        for path, text in files:
            edit = make_edit(text)
            try:
                if edit is None or not edit_ports(text, **edit).changed:
                    continue
            except (PortError, TomlEditError) as exc:  # the engine refuses this file for this edit: nothing to time
                refused.append({'file': path, 'why': str(exc)})
                continue
            timing = compare(text, _rounds_for(text, budget_s), lambda: edit_ports(text, **edit))  # pylint: disable=cell-var-from-loop
            rows.append(dict(timing, file=path, edit=edit['ports'], lines=text.count('\n'), ratio=timing['ratio_median_paired']))
        worst = max(rows, key=lambda row: row['ratio']) if rows else None
        found[name] = {'files': len(rows), 'rows': rows, 'refused': refused, 'target': TARGET_RATIO, 'worst': worst,
                       'median': statistics.median(row['ratio'] for row in rows) if rows else None}
    return found


def run(corpus_dirs, lines=5000, budget_s=6.0):
    files = corpus_files(corpus_dirs)
    cases = []
    if files:
        path, text = max(files, key=lambda item: len(item[1].encode('utf-8')))
        cases.append(('corpus ' + os.path.basename(path), 'largest corpus file', text))
    cases.append(('generated %d lines' % lines, 'generated %d lines' % lines, generate(lines)))
    results = []
    for label, short, text in cases:
        results.extend(run_case(label, short, text, budget_s))
    return {'edit': {'ports': EDIT_PORTS, 'offset': EDIT_OFFSET}, 'tomlkit': tomlkit.__version__,
            'corpus_found': bool(files), 'cases': results, 'operations': corpus_operations(files, budget_s / 10)}
