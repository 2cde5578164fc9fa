# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the tables of a TOML text are, line by line, without a full parse.

Used to place a new table next to the tables of its group (a new ``[transport.http]`` after the
last ``[transport.*]`` table) instead of at the end of the file. Strings, multi-line strings,
comments and multi-line arrays are skipped, so their content is never taken for a header. The
engine re-parses every result, so a layout this scanner misreads is refused, never written.
"""

import re
from collections import namedtuple

# name: the header's dotted key as a tuple; header: its line index; end: the index of its last
# line of content (the header itself when the table is empty), so that comments and blank lines
# before the next header stay with that next header.
Table = namedtuple('Table', 'name header end array')

_HEADER = re.compile(r'^\s*(\[\[?)\s*(.+?)\s*(\]\]?)\s*(#.*)?$')
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'')
_COMMENT = re.compile(r'#.*')
_KEY_PART = re.compile(r'\s*("(?:[^"\\]|\\.)*"|\'[^\']*\'|[A-Za-z0-9_-]+)\s*(\.|$)')


def header_name(text):
    """('a', 'b.c') for the key text a."b.c" of a header, or None when it is not a plain dotted key."""
    parts, position = [], 0
    while position < len(text):
        match = _KEY_PART.match(text, position)
        if not match:
            return None
        part = match.group(1)
        parts.append(part[1:-1] if part[0] in '"\'' else part)
        position = match.end()
    return tuple(parts) or None


class _Scanner:
    """Tracks multi-line strings and open brackets across the lines of a TOML document."""

    def __init__(self):
        self.multiline = None  # the open ''' or """ delimiter
        self.depth = 0  # open [ and { of values

    def at_top(self):
        return self.multiline is None and self.depth == 0

    def feed(self, line):
        if self.multiline is None and '"""' not in line and "'''" not in line:  # the common case, at C speed
            code = _COMMENT.sub('', _STRINGS.sub('""', line))
            self.depth += code.count('[') + code.count('{') - code.count(']') - code.count('}')
            return
        position = 0
        while position < len(line):
            if self.multiline:
                close = line.find(self.multiline, position)
                if close < 0:
                    return
                position, self.multiline = close + 3, None
                continue
            char = line[position]
            if char == '#':
                return
            if line.startswith('"""', position) or line.startswith("'''", position):
                self.multiline, position = line[position:position + 3], position + 3
            elif char in '"\'':
                position = _string_end(line, position)
            else:
                self.depth += (char in '[{') - (char in ']}')
                position += 1


def _string_end(line, start):
    quote, position = line[start], start + 1
    while position < len(line) and line[position] != quote:
        position += 2 if quote == '"' and line[position] == '\\' else 1
    return position + 1


def _content(stripped):
    return bool(stripped) and not stripped.startswith('#')


def tables(lines):
    """The Table of every header in lines (a list of lines), in file order."""
    found, scanner, current = [], _Scanner(), None
    for index, line in enumerate(lines):
        if scanner.at_top():
            match = _HEADER.match(line)
            name = match and match.group(1) in ('[', '[[') and header_name(match.group(2))
            if name:
                if current:
                    found.append(current)
                current = Table(name, index, index, match.group(1) == '[[')
                continue
        was_in_value = not scanner.at_top()
        scanner.feed(line)
        if current and (was_in_value or _content(line.strip())):
            current = current._replace(end=index)
    if current:
        found.append(current)
    return found


def insertion_line(lines, header, found=None):
    """Index of the line after which a new table `header` (a tuple) goes: after the content of the
    last table of its group (same first key part), or None to append at the end of the file.
    found: tables(lines) when the caller has it."""
    group = [table for table in (tables(lines) if found is None else found) if table.name[0] == header[0]]
    return group[-1].end if group else None


def declared(lines, found=None):
    """The names of the tables that have a header of their own ([x] or [[x]])."""
    return set(table.name for table in (tables(lines) if found is None else found))


class Layout:
    """The lines of a text and its tables, scanned once and only when asked."""

    def __init__(self, text):
        self.lines = text.splitlines(True)
        self._tables = None

    @property
    def tables(self):
        if self._tables is None:
            self._tables = tables(self.lines)
        return self._tables
