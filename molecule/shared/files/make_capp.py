"""Write a CApp (a .car zip, as MI's tooling packs it) holding one http inbound endpoint.

    make_capp.py DEST.car ENDPOINT_NAME PORT

Molecule verify runs it on the MI host to deploy an integration: root artifacts.xml naming the artifact,
<name>_1.0.0/artifact.xml of type synapse/inbound-endpoint and the endpoint's XML beside it.
"""

import sys
import zipfile

SYNAPSE = 'http://ws.apache.org/ns/synapse'


def main(dest, name, port):
    folder = '%s_1.0.0' % name
    with zipfile.ZipFile(dest, 'w', zipfile.ZIP_DEFLATED) as archive:
        archive.writestr('artifacts.xml', '<?xml version="1.0" encoding="UTF-8"?><artifacts><artifact name="%sApp" '
                         'version="1.0.0" type="carbon/application"><dependency artifact="%s" version="1.0.0" '
                         'include="true" serverRole="EnterpriseIntegrator"/></artifact></artifacts>' % (name, name))
        archive.writestr('%s/artifact.xml' % folder, '<?xml version="1.0" encoding="UTF-8"?><artifact name="%s" '
                         'version="1.0.0" type="synapse/inbound-endpoint" serverRole="EnterpriseIntegrator">'
                         '<file>%s-1.0.0.xml</file></artifact>' % (name, name))
        archive.writestr('%s/%s-1.0.0.xml' % (folder, name), '<?xml version="1.0" encoding="UTF-8"?><inboundEndpoint '
                         'xmlns="%s" name="%s" protocol="http" sequence="main" onError="fault" suspend="false">'
                         '<parameters><parameter name="inbound.http.port">%d</parameter></parameters>'
                         '</inboundEndpoint>' % (SYNAPSE, name, int(port)))


if __name__ == '__main__':
    main(*sys.argv[1:4])
