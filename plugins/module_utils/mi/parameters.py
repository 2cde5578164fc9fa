# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How MI resolves the text of an inbound endpoint parameter, and the Java properties files it reads for that.

Pure Python, no Ansible. Synapse (wso2/wso2-synapse, modules/commons/.../resolvers/ResolverFactory.java)
looks only at the start of the text: ``$SYSTEM:NAME`` is the environment variable NAME (SystemResolver),
``$FILE:NAME`` the key NAME of the properties file (FilePropertyResolver: ``-Dproperties.file.path``, which
MI's script sets to ``default`` = ``<MI_HOME>/conf/file.properties``), ``${configs.NAME}`` a configurable
property (MI 4.4+: the environment, then a ``-D`` property, then file.properties). NAME is the run of
letters, digits and ``_`` after the prefix; anything else is taken as it is. A value without a source fails
the endpoint's deployment in MI; here it is reported, never guessed.
"""

import os
import re

_PREFIXED = re.compile(r'\$([_a-zA-Z0-9]+):([_a-zA-Z0-9]+)')
_CONFIGS = re.compile(r'\$\{([_a-zA-Z0-9]+).([_a-zA-Z0-9]+)\}')
_ESCAPES = {'t': '\t', 'n': '\n', 'r': '\r', 'f': '\f'}


def parse_properties(text):
    """{key: value} of a java.util.Properties file: '#'/'!' comments, '=', ':' or blanks between key and value,
    a backslash at the end of a line continues it, backslash escapes and \\uXXXX; the last key wins."""
    found = {}
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index].lstrip(' \t\f')
        index += 1
        if not line or line[0] in '#!':
            continue
        while _continues(line) and index < len(lines):
            line = line[:-1] + lines[index].lstrip(' \t\f')
            index += 1
        if _continues(line):
            line = line[:-1]
        key, value = _split_property(line)
        found[_unescape(key)] = _unescape(value)
    return found


def _continues(line):
    """An odd number of trailing backslashes continues the line."""
    return (len(line) - len(line.rstrip('\\'))) % 2 == 1


def _split_property(line):
    """(key, value): the key ends at the first unescaped '=', ':' or blank; one '=' or ':' may follow blanks."""
    position = 0
    while position < len(line) and line[position] not in '=: \t\f':
        position += 2 if line[position] == '\\' else 1
    key, rest = line[:position], line[position:]
    stripped = rest.lstrip(' \t\f')
    if stripped[:1] in ('=', ':'):
        stripped = stripped[1:].lstrip(' \t\f')
    return key, stripped


def _unescape(text):
    out, index = [], 0
    while index < len(text):
        char = text[index]
        if char != '\\' or index + 1 == len(text):
            out.append(char)
            index += 1
            continue
        following = text[index + 1]
        if following == 'u' and re.match(r'[0-9a-fA-F]{4}', text[index + 2:index + 6]):
            out.append(chr(int(text[index + 2:index + 6], 16)))
            index += 6
            continue
        out.append(_ESCAPES.get(following, following))
        index += 2
    return ''.join(out)


def properties_file(home, properties):
    """The file $FILE: reads: -Dproperties.file.path, where 'default' (what MI's script passes) means
    conf/file.properties of the home (-Dconf.location when given); None when the property is not set."""
    path = properties.get('properties.file.path')
    if not path:
        return None
    if path == 'default':
        return os.path.join(properties.get('conf.location') or os.path.join(home, 'conf'), 'file.properties')
    return path if os.path.isabs(path) else os.path.join(home, path)


class ParameterContext:
    """What an MI instance resolves parameters from: its environment, its -D properties, its properties file
    (path and {key: value}, or None when missing, unreadable or not read, file_problem saying why) and the local
    entries ({key: text, or None for an entry that holds XML})."""

    def __init__(self, environment=None, properties=None, file_path=None, file_values=None, local_entries=None,
                 file_problem=None):
        self.environment = environment or {}
        self.properties = properties or {}
        self.file_path = file_path
        self.file_values = file_values
        self.local_entries = local_entries or {}
        self.file_problem = file_problem


def resolve_text(text, context):
    """(value, None, None) when MI knows the value; (None, problem, None) when MI fails on it for sure;
    (None, None, reason) when it depends on what this host does not show (the environment of a start to come)."""
    if text is None:
        return None, None, None
    if text.startswith('${configs.'):
        match = _CONFIGS.search(text)
        if match and match.group(1).lower() == 'configs':
            return _configurable(match.group(2), context)
    elif text.startswith('$SYSTEM') or text.startswith('$FILE'):
        match = _PREFIXED.search(text)
        if match and match.group(1).lower() == 'system':
            name = match.group(2)
            if name in context.environment:
                return context.environment[name], None, None
            return None, None, '$SYSTEM:%s: the environment variable %s is not in what MI starts with' % (name, name)
        if match and match.group(1).lower() == 'file':
            return _from_file(match.group(2), context)
    return text, None, None


def _from_file(name, context):
    if context.file_path is None:
        return None, '$FILE:%s: MI runs without -Dproperties.file.path, so $FILE: values cannot be read' % name, None
    if context.file_values is None:
        return None, '$FILE:%s: %s' % (name, context.file_problem or '%s does not exist or cannot be read'
                                       % context.file_path), None
    if name not in context.file_values:
        return None, '$FILE:%s: %s has no key %s' % (name, context.file_path, name), None
    return context.file_values[name], None, None


def _configurable(name, context):
    if name in context.environment:
        return context.environment[name], None, None
    if name in context.properties:
        return context.properties[name], None, None
    if context.file_values and name in context.file_values:
        return context.file_values[name], None, None
    return None, None, '${configs.%s}: neither the environment, a -D property nor the properties file sets %s' % (
        name, name)


def resolve_key(key, context):
    """A parameter given by key="...": the text of the local entry of that name (resolve_text's triple)."""
    if key in context.local_entries:
        text = context.local_entries[key]
        if text is None:
            return None, 'key %s names a local entry that holds XML, not text: MI cannot deploy it' % key, None
        return text, None, None
    if re.match(r'^(gov|conf):', key):
        return None, None, 'key %s is a registry resource, which this host\'s files do not show' % key
    return None, 'key %s names no local entry: MI refuses the endpoint ("Registry entry ... not found")' % key, None
