"""MI homes with deployed artifacts for the tests: the corpus of MI's own inbound endpoints and CApps, and
CApps and endpoint files written here (zip files made with zipfile, as MI's tooling packs them)."""

import os
import shutil
import zipfile
from pathlib import Path

from helpers.runner import REPO

ARTIFACTS = REPO.parent / 'shared' / 'corpus' / 'wso2-micro-integrator-artifacts'
ENDPOINT_FILES = ARTIFACTS / 'inbound-endpoints'
CAPPS = ARTIFACTS / 'carbonapps'
SERVER = Path('repository') / 'deployment' / 'server'
ENDPOINTS_DIR = SERVER / 'synapse-configs' / 'default' / 'inbound-endpoints'
LOCAL_ENTRIES_DIR = SERVER / 'synapse-configs' / 'default' / 'local-entries'
CAPPS_DIR = SERVER / 'carbonapps'
# The CApps of MI's corpus: their inbound endpoints (name, protocol, port).
HEALTHCARE = 'integration__mediation-tests__tests-service__ESB__car__HealthCareCompositeExporter_1.0.0.car'
BETA1 = 'integration__mediation-tests__tests-other__ESB__versionedDeployment__beta1_1.0.0.car'
HOT_BETA1 = 'integration__mediation-tests__tests-other__ESB__versionedDeployment__hotDeployment__beta1_1.0.0.car'
# The shipped deployment.toml, shortened (a secret in it: never in a result).
SHIPPED = '[server]\nhostname = "localhost"\n# offset  = 10\n\n[keystore.primary]\npassword = "s3cr3t"\n'


def home(tmp_path, name, text=SHIPPED):
    """An MI home <tmp_path>/<name> with conf/deployment.toml holding text."""
    conf = tmp_path / name / 'conf'
    conf.mkdir(parents=True)
    (conf / 'deployment.toml').write_text(text)
    return tmp_path / name


def snapshot(*homes):
    """What must not change when a module refuses: each home's deployment.toml bytes and inode."""
    return [((path / 'conf' / 'deployment.toml').read_bytes(), os.stat(path / 'conf' / 'deployment.toml').st_ino)
            for path in homes]


def endpoint_xml(name, protocol='http', parameters=None, suspend=False, namespace=True):
    """An inbound endpoint as MI's tooling writes it."""
    params = ''.join('        <parameter name="%s">%s</parameter>\n' % item for item in (parameters or {}).items())
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<inboundEndpoint name="%s" protocol="%s" sequence="main" '
            'onError="fault" suspend="%s"%s>\n    <parameters>\n%s    </parameters>\n</inboundEndpoint>\n'
            % (name, protocol, 'true' if suspend else 'false',
               ' xmlns="http://ws.apache.org/ns/synapse"' if namespace else '', params))


def make_capp(path, name, endpoints=(), local_entries=(), nested=(), extra=()):
    """A .car at path: endpoints [(artifact name, xml)], local_entries [(artifact name, xml)], nested
    [(file name, bytes)] under dependencies/, extra [(member, bytes, compress_type)]."""
    dependencies = []
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as archive:
        for kind, items in (('synapse/inbound-endpoint', endpoints), ('synapse/local-entry', local_entries)):
            for artifact, xml in items:
                folder = '%s_1.0.0' % artifact
                archive.writestr('%s/artifact.xml' % folder, '<?xml version="1.0" encoding="UTF-8"?><artifact '
                                 'name="%s" version="1.0.0" type="%s" serverRole="EnterpriseIntegrator">\n'
                                 '    <file>%s-1.0.0.xml</file>\n</artifact>\n' % (artifact, kind, artifact))
                archive.writestr('%s/%s-1.0.0.xml' % (folder, artifact), xml)
                dependencies.append(artifact)
        for file_name, data in nested:
            archive.writestr('dependencies/%s' % file_name, data)
        for member, data, compress_type in extra:
            archive.writestr(zipfile.ZipInfo(member), data, compress_type=compress_type)
        archive.writestr('artifacts.xml', '<?xml version="1.0" encoding="UTF-8"?><artifacts>\n    <artifact name="%s" '
                         'version="1.0.0" type="carbon/application">\n%s    </artifact>\n</artifacts>\n' % (name, ''.join(
                             '        <dependency artifact="%s" version="1.0.0" include="true" '
                             'serverRole="EnterpriseIntegrator"/>\n' % artifact for artifact in dependencies)))
    return path


def deploy(home, capps=(), endpoint_files=(), written=()):
    """Copy corpus CApps and endpoint files into an MI home; written: [(file name, text)] endpoint files."""
    for folder in (CAPPS_DIR, ENDPOINTS_DIR):
        (Path(home) / folder).mkdir(parents=True, exist_ok=True)
    for capp in capps:
        shutil.copy(Path(capp) if Path(capp).is_absolute() else CAPPS / capp, Path(home) / CAPPS_DIR)
    for name in endpoint_files:
        shutil.copy(ENDPOINT_FILES / name, Path(home) / ENDPOINTS_DIR)
    for name, text in written:
        (Path(home) / ENDPOINTS_DIR / name).write_text(text)
    return home
