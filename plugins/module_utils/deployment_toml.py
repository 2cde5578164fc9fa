# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Edit the port keys of an MI deployment.toml with tomlkit, keeping every other byte.

Pure logic: text in, text and a list of changes out. No Ansible, no file I/O.
A key is found in whichever TOML spelling the file uses (dotted key in its table,
nested table, top-level dotted key) because tomlkit resolves all three to one path.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import traceback

try:
    from collections.abc import Mapping
except ImportError:  # pragma: no cover - Python 2 is not supported, kept for sanity's compile test
    Mapping = dict

try:
    import tomlkit
    from tomlkit.exceptions import ParseError, TOMLKitError
    from tomlkit.items import Comment
except ImportError:
    HAS_TOMLKIT = False
    TOMLKIT_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_TOMLKIT = True
    TOMLKIT_IMPORT_ERROR = None

try:
    import tomllib  # Python 3.11+: a fast read-only parser, used to plan the edit
except ImportError:
    tomllib = None

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi_ports import (
    ALIASES,
    KNOWN_TABLES,
    OFFSET_KEY,
    PORT_SPECS,
    PortError,
    instance_ports,
    normalize_ports,
    parse_offset,
    parse_port,
    resolve_offset,
)

_BOM = '\ufeff'  # kept as the file had it; tomlkit does not parse it
_OFFSET_COMMENT = re.compile(r'^\s*#\s*offset\s*=')


class TomlEditError(ValueError):
    """The document cannot be read or edited as asked; the message says where and why."""


def parse_document(text):
    """Parse TOML text; a syntax error becomes TomlEditError with line, column and reason."""
    try:
        return tomlkit.parse(text)
    except ParseError as exc:
        reason = str(exc).split(' at line ', maxsplit=1)[0].rstrip('.')
        if '\x00' not in text:  # tomlkit's end-of-file marker
            reason = reason.replace("Unexpected character: '\\x00'", 'Unexpected end of file')
        # tomlkit often points at the line after the error (a duplicate table is found at the next header)
        location = _strict_location(text) or ' at line %d, column %d' % (exc.line, exc.col)
        raise TomlEditError('invalid TOML%s: %s; fix the file by hand, it was not changed' % (location, reason))
    except TOMLKitError as exc:
        raise TomlEditError('invalid TOML%s: %s; fix the file by hand, it was not changed'
                            % (_strict_location(text), str(exc).rstrip('.')))


def _strict_location(text):
    """Where the stdlib parser (3.11+) finds the first error: tomlkit reports duplicate keys without a
    position, and other errors often one line late."""
    try:
        import tomllib
        tomllib.loads(text)
    except ImportError:
        return ''
    except ValueError as exc:
        found = re.search(r'\(at line (\d+), column (\d+)\)', str(exc))
        if found:
            return ' at line %s, column %s' % found.groups()
        if str(exc).endswith('(at end of document)'):
            return ' at the end of the file (line %d)' % (text.count('\n') + 1)
    return ''


def _get(node, name, key):
    """node.get(name); tomlkit raises its own error on some valid layouts it cannot read (an array of
    tables extended by a later header after another table), which becomes a clear refusal."""
    try:
        return node.get(name)
    except TOMLKitError as exc:
        raise TomlEditError('%s: tomlkit cannot read this layout (%s); keep each [[...]] array and its '
                            'sub-tables together or edit the file by hand, it was not changed'
                            % (key, str(exc).rstrip('.')))


def _lookup(doc, key):
    """(parent mapping, depth reached) for the dotted key; depth == len(parts) - 1 means the
    parent exists. Refuses paths that run into an array of tables or a plain value."""
    parts = key.split('.')
    node = doc
    for depth, part in enumerate(parts[:-1]):
        child = _get(node, part, key)
        if child is None:
            return node, depth
        if isinstance(child, list):
            raise TomlEditError('%s: %s is an array of tables ([[%s]]); a port key must name a single value'
                                % (key, '.'.join(parts[:depth + 1]), '.'.join(parts[:depth + 1])))
        if not isinstance(child, Mapping):
            raise TomlEditError('%s: %s is a value, not a table; remove it or choose another key'
                                % (key, '.'.join(parts[:depth + 1])))
        node = child
    return node, len(parts) - 1


def read_value(doc, key):
    """The stored value of a dotted key (unwrapped), or None when the key is absent."""
    parent, depth = _lookup(doc, key)
    if depth < len(key.split('.')) - 1:
        return None
    value = _get(parent, key.split('.')[-1], key)
    if isinstance(value, Mapping) or isinstance(value, list):
        raise TomlEditError('%s is a table or array, not a port value; choose the port key inside it' % key)
    return None if value is None else getattr(value, 'unwrap', lambda: value)()


def _home_depth(key):
    """How many parts of key form the table header it belongs under when it must be created."""
    parts = key.split('.')
    homes = [table for table in KNOWN_TABLES if key.startswith(table + '.')]
    return len(max(homes, key=len).split('.')) if homes else len(parts) - 1


def _same_value(key, stored, wanted):
    parse = parse_offset if key == OFFSET_KEY else parse_port  # offset 0 is valid, port 0 is not
    try:
        return parse(stored, key) == wanted
    except PortError:
        return False


def _value_like(stored, port):
    """Keep the file's spelling: a port stored as a string stays a string."""
    return str(port) if isinstance(stored, str) else port


def _insert_offset(table, value):
    """Place offset right after the shipped '# offset = 10' comment when [server] has one."""
    body = table.value.body
    for index, (name, item) in enumerate(body):
        if name is None and isinstance(item, Comment) and _OFFSET_COMMENT.match(item.as_string()):
            if index + 1 < len(body):  # tomlkit cannot insert past the end; appending lands right after it
                table.value._insert_at(index + 1, 'offset', value)
                return
            break
    table['offset'] = value


def _set_existing_parent(parent, key, value):
    name = key.split('.')[-1]
    if name not in parent and key == OFFSET_KEY and hasattr(parent, 'value'):
        _insert_offset(parent, value)
    else:
        parent[name] = value


def _new_tables_text(doc, additions):
    """TOML text for keys whose table is missing: one new table per header, at the end."""
    tables = {}
    for key, value in additions:
        header_depth = _home_depth(key)
        parts = key.split('.')
        tables.setdefault('.'.join(parts[:header_depth]), []).append(
            '%s = %d' % ('.'.join(parts[header_depth:]), value))
    chunks = ['[%s]\n%s\n' % (header, '\n'.join(lines)) for header, lines in tables.items()]
    return '\n'.join(chunks)


class EditResult(object):
    """What an edit produced: the new text, the changes and the resulting port model."""

    def __init__(self, text, changes, offset, effective_ports, base_ports):
        self.text = text
        self.changes = changes
        self.offset = offset
        self.effective_ports = effective_ports
        self.base_ports = base_ports

    @property
    def changed(self):
        return bool(self.changes)


def _wanted(ports, offset):
    wanted = normalize_ports(ports)
    if offset is not None:
        wanted[OFFSET_KEY] = parse_offset(offset)
    return wanted


def _plan(doc, wanted):
    """Split wanted keys into changes on existing parents and keys needing a new table."""
    changes, in_place, additions = [], [], []
    for key, value in wanted.items():
        before = read_value(doc, key)
        if value is None:
            if before is not None:
                changes.append({'key': key, 'before': before, 'after': None})
                in_place.append((key, None))
            continue
        if before is not None and _same_value(key, before, value):
            continue
        stored = _value_like(before, value)
        changes.append({'key': key, 'before': before, 'after': stored})
        depth = _lookup(doc, key)[1]
        if depth == len(key.split('.')) - 1 or depth >= _home_depth(key):
            in_place.append((key, stored))
        else:
            additions.append((key, value))
    return changes, in_place, additions


def _apply(doc, key, value):
    parent, depth = _lookup(doc, key)
    parts = key.split('.')
    if value is None:
        del parent[parts[-1]]
    elif depth == len(parts) - 1:
        _set_existing_parent(parent, key, value)
    else:
        parent.add(tomlkit.key(parts[depth:]), value)


def _line_ending_like(original, text):
    """New lines follow the file: a CRLF-only file stays CRLF-only."""
    if '\r\n' in original and '\n' not in original.replace('\r\n', ''):
        return re.sub(r'(?<!\r)\n', '\r\n', text)
    return text


def port_model(doc, jvm_args=None):
    """(offset, offset_source, base ports, effective ports, set_in_file) of a parsed document."""
    bases, set_in_file = {}, {}
    for spec in PORT_SPECS:
        stored = read_value(doc, spec.key)
        set_in_file[spec.alias] = stored is not None
        bases[spec.alias] = spec.base if stored is None else parse_port(stored, spec.key)
    file_offset = read_value(doc, OFFSET_KEY)
    set_in_file['offset'] = file_offset is not None
    offset, source = resolve_offset(file_offset, jvm_args)
    return offset, source, bases, instance_ports(bases, offset), set_in_file


def _refuse_reordering(doc, text, what='edit this file'):
    """tomlkit writes some valid layouts back in another order: an array of tables [[x]] split by other
    tables, or one between two tables of the same group ([transport.http] [[x]] [transport.tcp]), moves;
    editing such a file would move lines nobody asked to touch."""
    written = doc.as_string()
    if written != text:
        pairs = zip(text.splitlines(True), written.splitlines(True))
        line = next((n for n, (old, new) in enumerate(pairs, 1) if old != new), 1 + text.count('\n'))
        raise TomlEditError('cannot %s without moving other lines (tomlkit would move line %d: an array of '
                            'tables [[...]] split by other tables, or between tables of one group); keep each '
                            '[[...]] array together and after such tables, or edit the file by hand, it was not '
                            'changed' % (what, line))


def _plain_document(text):
    """The file as plain dicts from tomllib (several times faster than tomlkit), or None without tomllib or
    when tomllib refuses the text (tomlkit then parses it and reports the error in its own words)."""
    if tomllib is None:
        return None
    try:
        return tomllib.loads(text)
    except ValueError:
        return None


def edit_ports(text, ports=None, offset=None):
    """Return an EditResult for setting ports ({alias or key: port or None}) and offset.

    Raises PortError or TomlEditError, naming the key and value, before anything is written.
    """
    wanted = _wanted(ports, offset)
    bom = _BOM if text.startswith(_BOM) else ''
    text = text[len(bom):]
    plain = _plain_document(text)
    doc = parse_document(text) if plain is None else None
    planned = doc if plain is None else plain
    changes, in_place, additions = _plan(planned, wanted)
    if not changes:  # nothing to write: tomlkit is not needed at all
        offset_now, _source, bases, effective, _set = port_model(planned)
        return EditResult(bom + text, changes, offset_now, effective, bases)
    if doc is not None or not additions:
        doc = parse_document(text) if doc is None else doc
        _refuse_reordering(doc, text)
    if additions:  # one tomlkit parse, of the text with the new tables (planned with tomllib)
        separator = '' if not text or text.endswith('\n') else '\n'
        blank = '\n' if text.strip() else ''
        text_with_tables = text + separator + blank + _new_tables_text(planned, additions)
        doc = parse_document(text_with_tables)
        headers = dict.fromkeys('[%s]' % '.'.join(key.split('.')[:_home_depth(key)]) for key, _value in additions)
        try:
            _refuse_reordering(doc, text_with_tables, 'add %s at the end of the file' % ', '.join(headers))
        except TomlEditError:
            if plain is not None:  # name the file itself when it is the problem (only on this error path)
                _refuse_reordering(parse_document(text), text)
            raise
    for key, value in in_place:
        _apply(doc, key, value)
    offset_now, _source, bases, effective, _set = port_model(doc)
    return EditResult(bom + _line_ending_like(text, tomlkit.dumps(doc)), changes, offset_now, effective, bases)


def diff_text(changes):
    """before/after texts that show only the changed keys (never any other line of the file)."""
    def render(side):
        lines = ['%s = %s' % (c['key'], _render_value(c[side])) for c in changes if c[side] is not None]
        return '\n'.join(lines) + ('\n' if lines else '')
    return {'before': render('before'), 'after': render('after')}


def _render_value(value):
    return '"%s"' % value if isinstance(value, str) else str(value)


__all__ = ['ALIASES', 'EditResult', 'HAS_TOMLKIT', 'TOMLKIT_IMPORT_ERROR', 'TomlEditError',
           'diff_text', 'edit_ports', 'parse_document', 'port_model', 'read_value']
