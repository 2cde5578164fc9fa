"""Write a CApp that MI cannot deploy: its sequence artifact names a file the archive lacks (a broken build).

    make_faulty_capp.py DEST.car

MI then lists it among its faulty CApps and its readiness probe (/healthz) answers 500 from its next start on;
the collection reads only the inbound endpoints and local entries of a CApp, so its module runs as before.
"""

import sys
import zipfile


def main(dest):
    with zipfile.ZipFile(dest, 'w', zipfile.ZIP_DEFLATED) as archive:
        archive.writestr('artifacts.xml', '<?xml version="1.0" encoding="UTF-8"?><artifacts><artifact name="OrdersApp" '
                         'version="1.0.0" type="carbon/application"><dependency artifact="OrdersSequence" '
                         'version="1.0.0" include="true" serverRole="EnterpriseIntegrator"/></artifact></artifacts>')
        archive.writestr('OrdersSequence_1.0.0/artifact.xml', '<?xml version="1.0" encoding="UTF-8"?><artifact '
                         'name="OrdersSequence" version="1.0.0" type="synapse/sequence" '
                         'serverRole="EnterpriseIntegrator"><file>OrdersSequence-1.0.0.xml</file></artifact>')


if __name__ == '__main__':
    main(sys.argv[1])
