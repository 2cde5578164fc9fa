"""The oracle of the engine's line edits: the same edit written by the line edit and by tomlkit."""

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.values import PortError
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.toml import engine, layout, lines as toml_lines
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.toml.engine import TomlEditError


def line_edit_and_tomlkit(text, ports, offset):
    """(the line edit's text or None when it leaves the layout to tomlkit, tomlkit's text) of the keys the engine
    sets in existing tables; None when the edit sets no key there or is refused."""
    body = text.lstrip('\ufeff')
    try:
        data = engine.parse_plain(body)
        plain = layout.Layout(body)
        changes, in_place, additions = engine._plan(data, engine._wanted(ports, offset), plain)
        if not in_place:
            return None
        source = engine._with_new_tables(plain, additions) if additions else body
        by_tomlkit = engine._tomlkit_edit(source, in_place, [change['key'] for change in changes])
    except (TomlEditError, PortError):
        return None
    lines = layout.Layout(source)
    return toml_lines.edit_lines(lines.lines, lines.tables, in_place), by_tomlkit
