# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Set, add or remove a port key as text, on the lines where tomlkit would, without tomlkit.

tomlkit parses and renders the whole file for one value; on a plain layout the same bytes come from a line edit.
A plain layout: the key's table has one header of its own, no other table lives under the key's first part in
it, and the key line is `key = value  # comment` with an integer or a one-line string. Anything else (inline
tables, arrays of tables, split tables, dotted keys shared with other lines, sub-tables right after the table)
returns None and the engine asks tomlkit. The engine checks every result with the stdlib parser either way; a
test checks these bytes against tomlkit's on generated files and the corpus.
"""

import re
from collections import Counter

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.listeners import OFFSET_KEY
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.toml.layout import _Scanner, header_name

_KEY_LINE = re.compile(r'^(?P<indent>[ \t]*)(?P<key>[^=#\[\'"\s][^=#]*?|"[^"\\\n]*"[^=#]*?|\'[^\'\n]*\'[^=#]*?)'
                       r'(?P<eq>[ \t]*=[ \t]*)(?P<value>-?[0-9][0-9_a-fA-FxXoObB]*|"[^"\\\n]*"|\'[^\'\n]*\')'
                       r'(?P<tail>[ \t]*(?:#[^\n\r]*)?)(?P<end>\r?\n|\r|)$')
_ANY_KEY = re.compile(r'^[ \t]*([^=#\[\'"\s][^=#]*?|"[^"\\\n]*"[^=#]*?|\'[^\'\n]*\'[^=#]*?)[ \t]*=')
OFFSET_COMMENT = re.compile(r'^\s*#\s*offset\s*=')


def _value_text(value):
    return '"%s"' % value if isinstance(value, str) else str(value)


class _Section:
    """The lines of one table: its header's index (None at the top of the file) and the key lines in it."""

    def __init__(self, header, start, stop):
        self.header, self.start, self.stop = header, start, stop

    def keys(self, lines):
        """[(index, key tuple, match, one line)] of the key lines at the top level of the table: match is None when
        the value is not one this module writes as text; one line is False for a value over several lines."""
        found, scanner = [], _Scanner()
        for index in range(self.start, self.stop):
            line = lines[index]
            if not scanner.at_top():
                scanner.feed(line)
                continue
            match = _KEY_LINE.match(line)
            key = _ANY_KEY.match(line)
            scanner.feed(line)
            if match:
                found.append((index, header_name(match.group('key')), match, True))
            elif line.strip() and not line.lstrip().startswith('#'):
                found.append((index, key and header_name(key.group(1)), None, scanner.at_top()))
        return found

    def last_content(self, lines):
        """Index of the last non-blank line of the table (comments count, as tomlkit keeps them in it)."""
        for index in range(self.stop - 1, self.start - 1, -1):
            if lines[index].strip():
                return index
        return self.header


def _sections(tables, count):
    """{name tuple: _Section} of the tables declared once, and the top of the file as ()."""
    names = [table.name for table in tables]
    declared = Counter(names)
    found = {(): _Section(None, 0, tables[0].header if tables else count)}
    for position, table in enumerate(tables):
        if table.array or declared[table.name] > 1:
            continue
        stop = tables[position + 1].header if position + 1 < len(tables) else count
        found[table.name] = _Section(table.header, table.header + 1, stop)
    return found, names


def _home(parts, sections, names):
    """(section name, key tuple inside it) for a key, or None when another header lives under the key."""
    head = max((name for name in sections if name == tuple(parts[:len(name)]) and len(name) < len(parts)), key=len)
    rest = tuple(parts[len(head):])
    if len(rest) > 1 and any(name[:len(head) + 1] == head + rest[:1] for name in names):
        return None
    if head != max((name for name in names if name == tuple(parts[:len(name)])), key=len, default=()):
        return None  # the longest header of the key is an array of tables or a table declared twice
    return head, rest


def _next_is_sub_table(lines, section, head):
    """Whether the header right after the table names a table under it: tomlkit then also adds a blank line."""
    if section.stop >= len(lines):
        return False
    found = re.match(r'\s*\[\[?(.+?)\]', lines[section.stop])
    name = found and header_name(found.group(1).strip())
    return bool(name) and name[:len(head)] == head


def _plan_edit(lines, section, head, rest, value, key, edits):
    """Record the line edit of one key in edits ({'set': {index: text or None}, 'add': {index: [texts]}, 'groups':
    {table + first key part: ['set' or 'add', ...]}}); False when the layout needs tomlkit."""
    keys = section.keys(lines)
    exact = [item for item in keys if item[1] == rest]
    related = [item for item in keys if item[1] is None or item[1][:1] == rest[:1]]
    if any(not key or not one_line or key == rest and match is None or key != rest and key[:len(rest)] == rest[:len(key)]
           for _index, key, match, one_line in related):
        return False  # a value over several lines or not written as text here, or a table where the key or its table is
    group = edits['groups'].setdefault(head + rest[:1], [])
    if 'add' in group or exact and group and len(rest) == 1:
        return False  # a key added to a dotted table besides another edit there: tomlkit may reorder them
    if exact:
        index = exact[0][0]
        if len(exact) != 1 or index in edits['set']:
            return False
        match = exact[0][2]
        group.append('set')
        edits['set'][index] = None if value is None else ''.join((
            match.group('indent'), match.group('key'), match.group('eq'), _value_text(value), match.group('tail'),
            match.group('end')))
        return True
    if (value is None or group or section.header is None or lines[section.header][:1] in ' \t'
            or _next_is_sub_table(lines, section, head)):
        return False
    group.append('add')
    if related:  # tomlkit writes the key into the dotted table of those lines: after the last of them
        indexes = [item[0] for item in related]
        spelled = [_ANY_KEY.match(lines[index]).group(1) for index in indexes]
        if (indexes != list(range(indexes[0], indexes[0] + len(indexes))) or len(rest) != 2
                or any(text != '.'.join(item[1]) or len(item[1]) != 2 for text, item in zip(spelled, related))):
            return False  # apart, nested deeper, or spelled with spaces or quotes (tomlkit copies the spelling)
        edits['add'].setdefault(indexes[-1], []).append('%s = %s\n' % ('.'.join(rest), _value_text(value)))
        return True
    after = section.last_content(lines)
    if key == OFFSET_KEY:
        comments = [i for i in range(section.start, section.stop) if OFFSET_COMMENT.match(lines[i])]
        after = comments[0] if comments else after
    edits['add'].setdefault(after, []).append('%s = %s\n' % ('.'.join(rest), _value_text(value)))
    return True


def edit_lines(lines, tables, in_place):
    """The text with each (key, value) of in_place set (value None: the key removed), or None when a key's layout
    needs tomlkit. lines: the text's lines with their endings; tables: layout.tables(lines)."""
    sections, names = _sections(tables, len(lines))
    edits = {'set': {}, 'add': {}, 'groups': {}}
    for key, value in in_place:
        parts = key.split('.')
        home = _home(parts, sections, names)
        if home is None or not _plan_edit(lines, sections[home[0]], home[0], home[1], value, key, edits):
            return None
    out = []
    for index, line in enumerate(lines):
        line = edits['set'].get(index, line)
        if line is not None:
            out.append(line)
        if index in edits['add']:
            if line is None:  # the line to add after is removed: where tomlkit puts the key is not plain
                return None
            if not line.endswith(('\n', '\r')):  # the last line of the file gets its newline first
                out[-1] += '\n'
            out.extend(edits['add'][index])
    return ''.join(out)
