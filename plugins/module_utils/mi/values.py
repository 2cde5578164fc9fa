# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How MI reads one value of deployment.toml: numbers, flags and placeholders.

Pure Python, no Ansible. MI parses ports with Java's Integer.parseInt (no trimming, an optional
sign), and its config tool (wso2/config-mapper, ReferenceResolver) substitutes placeholders before
that: ``$sys{X}`` (a -DX=... JVM argument), ``$env{X}`` (environment), then ``$ref{a.b}`` (another key,
named as it is after the config tool's key renaming). ``${X}`` is resolved later, and only in carbon.xml
values (the offset): system property X, else environment variable X. ``$secret{X}`` has no source here.
A placeholder whose source is unknown is *unresolved*: never an error when reading, and never
overwritten unless the user asks to set that very key.
"""

import re
import shlex
import unicodedata

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.common.errors import CollectionError

DEFAULT_OFFSET = 10
PORT_MIN = 1
PORT_MAX = 65535

_DIGITS = re.compile(r'[+-]?[0-9]+\Z')  # Java 7+ Integer.parseInt: ASCII digits, an optional sign, no blanks
JAVA_INT_MIN, JAVA_INT_MAX = -2 ** 31, 2 ** 31 - 1  # beyond: NumberFormatException
JAVA_INT_DIGITS = 10
MAX_SHOWN = 40  # a longer value is described, not quoted
_PLACEHOLDER = re.compile(r'\$(env|sys|ref|secret)?\{([^{}]*)\}')


class PortError(CollectionError, ValueError):
    """A port, offset, key or network that MI would not accept, with the fix in the message."""


class Unresolved:
    """A value whose placeholder has no known source (e.g. $env{X} without the environment)."""

    def __init__(self, placeholder):
        self.placeholder = placeholder

    def __repr__(self):
        return 'Unresolved(%r)' % self.placeholder


def has_control(text):
    """Whether text holds a control character (line breaks, tabs, escapes: Unicode category Cc, Cf and the like):
    names that reach firewall rules, unit names and reports must not."""
    return any(unicodedata.category(char)[0] == 'C' for char in text)


def has_placeholder(value):
    return isinstance(value, str) and bool(_PLACEHOLDER.search(value))


def placeholder_source(value):
    """'env', 'sys', 'ref', 'secret' or 'other' (${X}) for the first placeholder of a stored value, else None."""
    found = _PLACEHOLDER.search(value) if isinstance(value, str) else None
    return (found.group(1) or 'other') if found else None


def placeholder_origin(value):
    """Where the first placeholder of a stored value takes its value from, in words (never the value)."""
    found = _PLACEHOLDER.search(value)
    kind, name = found.group(1), found.group(2)
    return {'env': 'environment variable %s', 'sys': 'JVM argument -D%s', 'ref': 'key %s',
            'secret': 'secret %s'}.get(kind, 'system property or environment variable %s') % name


def system_properties(jvm_args):
    """{name: value} of the -Dname=value JVM arguments (a string or a list); the last one wins."""
    if jvm_args is None:
        return {}
    if isinstance(jvm_args, str):
        words = shlex.split(jvm_args)
    elif isinstance(jvm_args, (list, tuple)):
        words = [str(arg) for arg in jvm_args]
    else:
        raise PortError('jvm_args is %r; give a string ("-Xmx1g -DportOffset=5") or a list of arguments'
                        % (jvm_args,))
    properties = {}
    for word in words:
        if word.startswith('-D') and len(word) > 2:
            name, _sep, value = word[2:].partition('=')
            properties[name] = value
    return properties


class Resolver:
    """Substitutes MI's placeholders in stored values from what MI starts with.

    lookup(key) returns the stored value of another key (for $ref{}), or None.
    """

    def __init__(self, environment=None, properties=None, lookup=None):
        self.environment = environment or {}
        self.properties = properties or {}
        self.lookup = lookup or (lambda key: None)

    def resolve(self, value, _seen=(), carbon=False):
        """The value with every placeholder substituted, or Unresolved naming the first unknown one.
        carbon: the value lands in carbon.xml (the offset), where ${X} is a system property or variable."""
        if not has_placeholder(value):
            return value
        missing = []

        def substitute(match):
            kind, name = match.group(1), match.group(2)
            if kind is None and carbon:
                text = self.properties.get(name, self.environment.get(name))
            else:
                text = self._source(kind, name, _seen)
            if text is None:
                missing.append(match.group(0))
                return match.group(0)
            return text
        resolved = _PLACEHOLDER.sub(substitute, value)
        return Unresolved(missing[0]) if missing else resolved

    def _source(self, kind, name, seen):
        if kind == 'env':
            return self.environment.get(name)
        if kind == 'sys':
            return self.properties.get(name)
        if kind != 'ref' or name in seen:  # $secret{} and ${} have no source; $ref{a} back at a is a loop
            return None
        stored = self.lookup(name)
        if stored is None:
            return None
        resolved = self.resolve(stored if isinstance(stored, str) else _java_text(stored), seen + (name,))
        return None if isinstance(resolved, Unresolved) else resolved


def _java_text(value):
    """How a TOML scalar reads as text in MI's rendered files (booleans are lower case)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def shown(value, visible=True):
    """A value as a message may show it: quoted when visible and short; else only what it is (a placeholder's
    value, a secret, a 4,000-digit number are never printed)."""
    if visible and (not isinstance(value, str) or len(value) <= MAX_SHOWN):
        return repr(value)
    if isinstance(value, str):
        return 'a text of %d characters%s' % (len(value), '' if visible else ' (not shown)')
    return 'a %s (not shown)' % type(value).__name__


def parse_int(value, what, allowed, visible=True):
    """An integer as MI's Integer.parseInt takes it: a TOML integer, or a string of ASCII digits.

    " 8280 ", "8280.0", booleans and floats are refused, as MI refuses them at start-up ("+8280" is 8280).
    Digits beyond what a Java int holds are refused before any conversion (Python refuses 4,300 and more).
    visible: the value may be quoted in the message (False for a placeholder's value: its source is named).
    """
    if isinstance(value, bool):
        raise PortError('%s is %s (a boolean); %s' % (what, shown(value, visible), allowed))
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _DIGITS.match(value):
        digits = value.lstrip('+-').lstrip('0') or '0'
        number = int(digits) * (-1 if value.startswith('-') else 1) if len(digits) <= JAVA_INT_DIGITS else None
        if number is not None and JAVA_INT_MIN <= number <= JAVA_INT_MAX:
            return number
        raise PortError('%s is %s, beyond what Java\'s int holds; %s' % (what, shown(value, visible), allowed))
    if isinstance(value, str) and _DIGITS.match(value.strip()):
        raise PortError('%s is %s; MI reads it with Integer.parseInt, which refuses blanks: write %s'
                        % (what, shown(value, visible), value.strip() if visible and len(value) <= MAX_SHOWN
                           else 'it without blanks'))
    raise PortError('%s is %s; %s' % (what, shown(value, visible), allowed))


def parse_port(value, what, visible=True):
    """A TCP port in 1..65535 (a TOML integer or a digit string, as MI stores both)."""
    allowed = 'a port must be an integer from %d to %d' % (PORT_MIN, PORT_MAX)
    port = parse_int(value, what, allowed, visible)
    if not PORT_MIN <= port <= PORT_MAX:
        raise PortError('%s is %s; %s' % (what, shown(value, visible), allowed))
    return port


def parse_offset(value, what='server.offset', visible=True):
    """A port offset: any whole number, negative too (MI adds it unchecked: offset = -810 is a real file's).
    Whether every resulting port stays in 1..65535 is checked where ports are computed (check_shifted)."""
    allowed = 'the offset must be a whole number (MI default %d)' % DEFAULT_OFFSET
    offset = parse_int(value, what, allowed, visible)
    if not JAVA_INT_MIN <= offset <= JAVA_INT_MAX:
        raise PortError('%s is %s; %s that Java\'s int holds' % (what, shown(value, visible), allowed))
    return offset


def shifted_port_problem(what, base, offset):
    """None when base + offset is a port, else the problem naming both (a negative offset can go below 1)."""
    port = base + offset
    if PORT_MIN <= port <= PORT_MAX:
        return None
    limit = 'above %d' % PORT_MAX if port > PORT_MAX else 'below %d' % PORT_MIN
    return ('%s %d + offset %d = %d is %s; %s the offset or the port'
            % (what, base, offset, port, limit, 'lower' if port > PORT_MAX else 'raise'))


def parse_flag(value, what, visible=True):
    """An enable flag: a TOML boolean, or the strings true/false that a placeholder resolves to."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ('true', 'false'):
        return value.strip().lower() == 'true'
    raise PortError('%s is %s; write true or false' % (what, shown(value, visible)))
