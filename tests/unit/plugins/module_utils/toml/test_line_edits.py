"""Key lines edited as text (toml/lines.py): the bytes tomlkit writes, on every corpus file, or None (tomlkit then).

tomlkit is the oracle: for each file and edit, the line edit's text must equal tomlkit's output of the same edit.
The generated documents of test_engine_fuzz.py check the same (test_line_edits_write_the_bytes_tomlkit_writes).
"""

import pytest

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.toml import engine, layout, lines as toml_lines
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.toml.engine import edit_ports
from helpers.line_edits import line_edit_and_tomlkit
from helpers.runner import REPO

CORPORA = [REPO.parent / 'shared' / 'corpus' / name for name in ('wso2-micro-integrator', 'in-the-wild')]
FILES = sorted(path for folder in CORPORA for path in folder.glob('*.toml'))
EDITS = [
    ({'http': 8380, 'https': None, 'management_http': None, 'management_https': None}, 3),  # the role's edit
    ({'http': 8381, 'https': 8444, 'management_http': 9301, 'transport.tcp.listener.port': 8500}, 7),
    ({'https': None, 'management_https': 9300}, None),
]


both = line_edit_and_tomlkit


def test_both_corpus_folders_are_there():
    assert all(folder.is_dir() for folder in CORPORA) and len(FILES) >= 118, 'the corpus of ../shared is missing'


@pytest.mark.parametrize('source', FILES, ids=lambda path: path.name[-70:])
def test_line_edit_is_tomlkits_bytes_on_every_corpus_file(source):
    text = source.read_text(encoding='utf-8')
    for ports, offset in EDITS:
        found = both(text, ports, offset)
        if found and found[0] is not None:
            assert found[0] == found[1], (ports, offset)


def test_most_corpus_edits_need_no_tomlkit():
    found = [both(path.read_text(encoding='utf-8'), *EDITS[0]) for path in FILES]
    edited = [item for item in found if item]
    assert len([item for item in edited if item[0] is not None]) >= 0.8 * len(edited)


@pytest.mark.parametrize('text, ports, offset, expected', [
    # the role's edit of the shipped file: offset after the shipped comment, the port into its dotted table
    ('[server]\nhostname = "h"\n# offset = 10\nx = 1\n\n[transport.http]\nlistener.enable = true\nsender.x = 1\n',
     {'http': 8380}, 3,
     '[server]\nhostname = "h"\n# offset = 10\noffset = 3\nx = 1\n\n[transport.http]\nlistener.enable = true\n'
     'listener.port = 8380\nsender.x = 1\n'),
    ('[server]\noffset = 1  # ours\n[mediation]\ninternal_http_api_port = 9000\nother = 1',
     {'management_http': None}, 2, '[server]\noffset = 2  # ours\n[mediation]\nother = 1'),
    ('[mediation]\nother = 1', {'management_http': 9300}, None, '[mediation]\nother = 1\ninternal_http_api_port = 9300\n'),
])
def test_line_edits_in_place(text, ports, offset, expected):
    assert both(text, ports, offset) == (expected, expected)
    assert edit_ports(text, ports, offset).text == expected


@pytest.mark.parametrize('text, ports', [
    ('[transport]\nhttp = { listener = { port = 8280 } }\n', {'http': 8380}),  # an inline table
    ('[transport.http]\nlistener.a = 1\nx = 1\nlistener.b = 2\n', {'http': 8380}),  # a dotted table in two places
    ('[transport.http]\nlistener . a = 1\n', {'http': 8380}),  # a spelling tomlkit copies
    ('[transport.http]\nx = 1\n[transport.http.sender]\ny = 1\n', {'http': 8380}),  # a sub-table right after
    ('[[transport.http]]\nx = 1\n', {'https': 8443}),  # an array of tables
])
def test_layouts_left_to_tomlkit(text, ports):
    lines = text.splitlines(True)
    in_place = list(engine._wanted(ports, None).items())
    assert toml_lines.edit_lines(lines, layout.tables(lines), in_place) is None
