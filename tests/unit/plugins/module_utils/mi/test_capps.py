"""CApps as MI deploys them: every .car of MI's own repository (../shared corpus), CApps written here with
zipfile (nested ones, broken ones, a 50 MB one), and whole MI homes (mi/deployed.py)."""

import io
import os
import tracemalloc
import zipfile

import pytest

from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.capps import MAX_DEPTH, read_capp
from ansible_collections.wso2ops.micro_integrator.plugins.module_utils.mi.deployed import read_deployed
from helpers.artifacts import (
    BETA1,
    CAPPS,
    CAPPS_DIR,
    ENDPOINTS_DIR,
    HEALTHCARE,
    HOT_BETA1,
    LOCAL_ENTRIES_DIR,
    deploy,
    endpoint_xml,
    make_capp,
)

# Every CApp of the corpus: the inbound endpoints it deploys, (name, protocol, port or None).
CORPUS = {
    'integration__cli-tests__ESB__server__hello-worldCompositeApplication_1.0.0.car': [],
    'integration__mediation-tests__tests-other__ESB__config.var__testApiWithConfigurationProperty_1.0.0.car': [],
    BETA1: [('TestInbound', 'http', 7878)],
    HOT_BETA1: [('TestInbound', 'http', 7878)],
    HEALTHCARE: [('httpInboundEP', 'http', 8697)],
    'integration__mediation-tests__tests-service__ESB__car__esb-deployment-car_1.0.0.car':
        [('inbound-endpoint', 'file', None)],
}


def read_car(path, **kwargs):
    """read_capp() of the .car at path (the modules open it through common.fileio)."""
    with open(path, 'rb') as stream:
        return read_capp(stream, str(path), **kwargs)


def test_the_corpus_is_every_capp_of_mis_repository():
    assert sorted(path.name for path in CAPPS.glob('*.car')) == sorted(CORPUS)


@pytest.mark.parametrize('name', sorted(CORPUS))
def test_corpus_capp_deploys_the_endpoints_mi_deploys(tmp_path, name):
    home = deploy(tmp_path / 'mi', capps=[name])
    found = read_deployed(str(home))
    assert found['problems'] == []
    assert [(item['name'], item['protocol'], item['base']) for item in found['endpoints']] == CORPUS[name]
    for item in found['endpoints']:
        assert item['capp'] == str(home / CAPPS_DIR / name) and item['source'].startswith(item['capp'] + '!')


def test_the_two_capps_binding_7878_on_one_home_are_a_problem(tmp_path):
    found = read_deployed(str(deploy(tmp_path / 'mi', capps=[BETA1, HOT_BETA1])))
    assert [item['base'] for item in found['endpoints']] == [7878, 7878]
    assert len(found['problems']) == 1 and found['problems'][0].startswith('two inbound endpoints are named TestInbound')


def test_the_nested_capp_of_beta1_is_read_and_holds_no_endpoint():
    with zipfile.ZipFile(CAPPS / BETA1) as archive:
        assert 'dependencies/beta2-1.0.0.car' in archive.namelist()
    found = read_car((CAPPS / BETA1))
    assert [where.rsplit('!', 1)[1] for where, _data in found['endpoints']] == ['TestInbound_1.0.0/TestInbound-1.0.0.xml']


def test_nested_capps_are_deployed_from_4_5_and_capped_in_depth(tmp_path):
    inner = make_capp(tmp_path / 'inner.car', 'inner', endpoints=[('Deep', endpoint_xml(
        'Deep', 'http', {'inbound.http.port': '8401'}))])
    outer = make_capp(tmp_path / 'outer.car', 'outer', nested=[('inner-1.0.0.car', inner.read_bytes())])
    found = read_car((outer))
    assert [where for where, _data in found['endpoints']] == [
        '%s!dependencies/inner-1.0.0.car!Deep_1.0.0/Deep-1.0.0.xml' % outer]
    assert read_car((outer), nested=False)['endpoints'] == []
    data = inner.read_bytes()
    for level in range(MAX_DEPTH + 1):
        data = make_capp(tmp_path / ('level%d.car' % level), 'l%d' % level, nested=[('x.car', data)]).read_bytes()
    deep = read_car((tmp_path / ('level%d.car' % MAX_DEPTH)))
    assert deep['endpoints'] == [] and deep['problems'] == [
        '%s: CApps nested more than %d deep; refused' % ('!'.join(
            [str(tmp_path / ('level%d.car' % MAX_DEPTH))] + ['dependencies/x.car'] * (MAX_DEPTH + 1)), MAX_DEPTH)]


def test_a_corrupt_or_non_zip_car_is_a_problem_naming_the_file(tmp_path):
    text = tmp_path / 'notes.car'
    text.write_text('not a zip')
    assert read_car((text))['problems'] == [
        '%s is not a readable zip file (File is not a zip file): MI cannot deploy it' % text]
    good = make_capp(tmp_path / 'good.car', 'good', endpoints=[('E', endpoint_xml('E', 'http', {
        'inbound.http.port': '8402'}))])
    data = bytearray(good.read_bytes())
    start = data.index(b'E_1.0.0/E-1.0.0.xml') + len('E_1.0.0/E-1.0.0.xml')  # after its local header
    data[start:start + 40] = b'\xff' * 40  # the member's deflate stream, broken
    broken = tmp_path / 'broken.car'
    broken.write_bytes(bytes(data))
    problems = read_car((broken))['problems']
    assert len(problems) == 1 and problems[0].startswith('%s is not a readable zip file' % broken)
    truncated = tmp_path / 'truncated.car'
    truncated.write_bytes(good.read_bytes()[:200])
    assert 'is not a readable zip file' in read_car((truncated))['problems'][0]
    empty = make_capp(tmp_path / 'plain.zip', 'x')
    with zipfile.ZipFile(empty, 'w') as archive:
        archive.writestr('readme.txt', 'hello')
    assert read_car((empty))['problems'] == ['%s has no artifacts.xml: it is not a CApp MI can deploy' % empty]


def test_a_50_mb_capp_is_read_without_loading_it(tmp_path):
    big = make_capp(tmp_path / 'big.car', 'big', endpoints=[('Big', endpoint_xml('Big', 'http', {
        'inbound.http.port': '8403'}))], extra=[('lib_1.0.0/huge.jar', os.urandom(50 * 1024 * 1024), zipfile.ZIP_STORED)])
    assert os.path.getsize(big) > 50 * 1024 * 1024
    nested = ('dependencies/big.car', big.read_bytes(), zipfile.ZIP_DEFLATED)
    outer = make_capp(tmp_path / 'outer.car', 'outer', extra=[nested])
    for path, where in ((big, '%s!Big_1.0.0/Big-1.0.0.xml' % big),
                        (outer, '%s!dependencies/big.car!Big_1.0.0/Big-1.0.0.xml' % outer)):
        tracemalloc.start()
        found = read_car((path))
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert [item[0] for item in found['endpoints']] == [where] and found['problems'] == []
        assert peak < 4 * 1024 * 1024, peak  # a few 256 KiB buffers, never the 50 MB member


def test_a_member_bigger_than_the_cap_is_refused_unread(tmp_path):
    capp = make_capp(tmp_path / 'x.car', 'x', endpoints=[('E', endpoint_xml('E', 'http', {
        'inbound.http.port': '8404'}) + ' ' * (2 * 1024 * 1024))])
    assert read_car((capp))['problems'] == [
        '%s!E_1.0.0/E-1.0.0.xml is %d bytes, more than the 1048576 an artifact XML may have here'
        % (capp, len(endpoint_xml('E', 'http', {'inbound.http.port': '8404'})) + 2 * 1024 * 1024)]


def test_a_home_resolves_local_entries_and_file_properties(tmp_path):
    home = tmp_path / 'mi'
    (home / LOCAL_ENTRIES_DIR).mkdir(parents=True)
    (home / LOCAL_ENTRIES_DIR / 'p.xml').write_text('<localEntry xmlns="http://ws.apache.org/ns/synapse" '
                                                    'key="hl7-port">20011</localEntry>')
    (home / 'conf').mkdir()
    (home / 'conf' / 'file.properties').write_text('# ports\nws.port = 9079\n')
    keyed = ('<inboundEndpoint xmlns="http://ws.apache.org/ns/synapse" name="%s" protocol="hl7"><parameters>'
             '<parameter name="inbound.hl7.Port" key="%s"/></parameters></inboundEndpoint>')
    capp = make_capp(tmp_path / 'c.car', 'c', endpoints=[('InCapp', keyed % ('InCapp', 'capp-port'))],
                     local_entries=[('capp-port', '<localEntry xmlns="http://ws.apache.org/ns/synapse" '
                                                  'key="capp-port">20012</localEntry>')])
    deploy(home, capps=[capp], written=[
        ('a.xml', keyed % ('FromEntry', 'hl7-port')),
        ('b.xml', endpoint_xml('FromFile', 'ws', {'inbound.ws.port': '$FILE:ws'})),
        ('c.xml', keyed % ('Elsewhere', 'capp-port'))])
    found = read_deployed(str(home), properties={'properties.file.path': 'default'})
    assert [(item['name'], item['base']) for item in found['endpoints']] == [
        ('FromEntry', 20011), ('FromFile', None), ('Elsewhere', None), ('InCapp', 20012)]
    assert found['problems'] == [
        '%s: $FILE:ws: %s has no key ws' % (home / ENDPOINTS_DIR / 'b.xml', home / 'conf' / 'file.properties'),
        '%s: key capp-port names no local entry: MI refuses the endpoint ("Registry entry ... not found")'
        % (home / ENDPOINTS_DIR / 'c.xml')]
    (home / 'conf' / 'file.properties').write_text('ws=9079\n')
    assert read_deployed(str(home), properties={'properties.file.path': 'default'})['endpoints'][1]['base'] == 9079
    assert 'runs without -Dproperties.file.path' in read_deployed(str(home))['problems'][0]


def test_a_home_without_deployment_folders_has_no_endpoint(tmp_path):
    assert read_deployed(str(tmp_path)) == {'endpoints': [], 'problems': []}


def test_nested_capp_members_are_streamed_not_loaded(tmp_path):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, 'w') as archive:
        archive.writestr('artifacts.xml', '<artifacts/>')
    outer = make_capp(tmp_path / 'o.car', 'o', nested=[('i.car', inner.getvalue())])
    assert read_car((outer)) == {'endpoints': [], 'local_entries': [], 'problems': []}


def test_before_4_1_an_httpws_endpoint_cannot_be_deployed(tmp_path):
    home = deploy(tmp_path / 'mi', endpoint_files=[
        'integration__mediation-tests__tests-transport-2__ESB__server__inbound-endpoints__httpws.xml'])
    assert read_deployed(str(home))['endpoints'][0]['base'] == 5055
    old = read_deployed(str(home), httpws=False)
    assert old['endpoints'][0]['listening'] is False
    assert old['problems'] == ['%s: protocol httpws needs MI 4.1 or later: MI cannot deploy the endpoint '
                               'httpWebsocketInboundEndpoint' % old['endpoints'][0]['source']]
