"""Every real deployment.toml of ../shared/corpus/in-the-wild (45 files from 38 projects): the ports MI opens
with each, as MI computes them. The expectation is written out here from MI-FACTS.md (documented keys in
their plain spelling, the offset replacing 10, a negative offset added as Java adds it); the two files that are
not TOML are refused with the line that breaks them."""

import tomllib

import pytest

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.toml.engine import TomlEditError, read_model
from helpers.runner import REPO

WILD = REPO.parent / 'shared' / 'corpus' / 'in-the-wild'
FILES = sorted(path.name for path in WILD.glob('*.toml')) if WILD.is_dir() else []
INVALID = {
    'es3u__APSIntegrationProject@c5226a5__deployment__deployment.toml': 'invalid TOML at line 133',
    'rg4444__wso2@0a3c8ad__mi__conf__deployment.toml': 'invalid TOML at line 5',
}
# Files whose ports differ from the defaults at offset 10, written out: (http, https, management_http,
# management_https or None when MI does not open it).
SPECIAL = {
    'SameeraNel__GreatoakService__deployment__deployment.toml': (7470, 7433, 8381, 8344),  # offset = -810
    'HieuNM21__CICD-Pipeline__deployment__deployment.toml': (8280, 8243, 9191, 9154),  # offset 0; "port" is no MI key
    'med-las__wso2__deployment__deployment.toml': (8290, 8243, 9191, 9154),  # offset 0, listener.port 8290
    'mm2002-pn__wso2-integration__deployment.toml': (8290, 8243, 9191, 9154),  # [transport.https] is ignored
    'Yasithalalanga__MI-HelloWorld-Sample__deployment.toml': (8290, 8253, 9201, None),  # management API over http
    'Yasithalalanga__MI-HelloWorld-Sample__deployment__deployment.toml': (8290, 8253, 9201, None),
}


def test_the_corpus_has_its_45_files():
    assert len(FILES) == 45


def expected(data):
    """MI's arithmetic for the files of this corpus (all use the plain spellings, none a placeholder)."""
    server, http, mediation = data.get('server', {}), data.get('transport', {}).get('http', {}), data.get('mediation', {})
    offset = int(server.get('offset', 10))
    protocols = data.get('management_api', {}).get('protocols', 'https http').split()
    return (int(http.get('listener', {}).get('port', 8280)) + offset,
            int(http.get('listener', {}).get('secured_port', 8243)) + offset,
            int(mediation.get('internal_http_api_port', 9191)) + offset,
            int(mediation.get('internal_https_api_port', 9154)) + offset if 'https' in protocols else None)


@pytest.mark.parametrize('name', FILES)
def test_ports_as_mi_computes_them(name):
    text = (WILD / name).read_text(encoding='utf-8')
    if name in INVALID:
        with pytest.raises(TomlEditError, match=INVALID[name]):
            read_model(text)
        return
    model = read_model(text)
    ports = model['ports']
    found = tuple(ports[alias]['port'] if ports[alias]['enabled'] else None
                  for alias in ('http', 'https', 'management_http', 'management_https'))
    assert model['problems'] == []
    assert found == expected(tomllib.loads(text))
    assert found == SPECIAL.get(name, (8290, 8253, 9201, 9164))
