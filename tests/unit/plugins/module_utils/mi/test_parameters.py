"""How MI resolves inbound endpoint parameters (Synapse's ResolverFactory) and reads file.properties
(java.util.Properties)."""

import pytest

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.parameters import (
    ParameterContext,
    parse_properties,
    properties_file,
    resolve_text,
)


def test_java_properties_syntax():
    text = ('# comment\n! also a comment\n  a=1\nb : 2\nc 3\nd=\\\n    4\\\n  5\ne\\ key=x\\ty\nf=\\u0041\n'
            'g=trailing\\\\\nh=last\n\n')
    assert parse_properties(text) == {'a': '1', 'b': '2', 'c': '3', 'd': '45', 'e key': 'x\ty', 'f': 'A',
                                      'g': 'trailing\\', 'h': 'last'}
    assert parse_properties('k=1\nk=2\n') == {'k': '2'}
    assert parse_properties('k = 8080 \n') == {'k': '8080 '}  # trailing blanks stay: parseInt then refuses them


@pytest.mark.parametrize('text, expected', [
    ('$SYSTEM:PORT', ('8080', None, None)),
    ('$SYSTEM:PORT-suffix', ('8080', None, None)),  # the name is the run of letters, digits and _
    ('x$SYSTEM:PORT', ('x$SYSTEM:PORT', None, None)),  # only a value that starts with the prefix is resolved
    ('$system:PORT', ('$system:PORT', None, None)),
    ('${configs.port}', ('8081', None, None)),
    ('$FILE:port', ('8082', None, None)),
    ('8083', ('8083', None, None)),
])
def test_resolution_follows_synapse(text, expected):
    context = ParameterContext({'PORT': '8080'}, {'port': '8081'}, '/f', {'port': '8082'})
    assert resolve_text(text, context) == expected


def test_configs_look_in_the_environment_then_properties_then_the_file():
    assert resolve_text('${configs.p}', ParameterContext({'p': '1'}, {'p': '2'}, '/f', {'p': '3'}))[0] == '1'
    assert resolve_text('${configs.p}', ParameterContext({}, {'p': '2'}, '/f', {'p': '3'}))[0] == '2'
    assert resolve_text('${configs.p}', ParameterContext({}, {}, '/f', {'p': '3'}))[0] == '3'
    assert resolve_text('${configs.p}', ParameterContext())[2].startswith('${configs.p}: neither')


def test_the_properties_file_is_where_mis_script_points():
    assert properties_file('/mi', {'properties.file.path': 'default'}) == '/mi/conf/file.properties'
    assert properties_file('/mi', {'properties.file.path': 'default', 'conf.location': '/etc/mi'}) == \
        '/etc/mi/file.properties'
    assert properties_file('/mi', {'properties.file.path': '/srv/p.properties'}) == '/srv/p.properties'
    assert properties_file('/mi', {}) is None
    assert resolve_text('$FILE:x', ParameterContext(file_path='/mi/conf/file.properties'))[1] == (
        '$FILE:x: /mi/conf/file.properties does not exist or cannot be read')
