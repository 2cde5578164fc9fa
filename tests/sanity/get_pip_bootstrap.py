"""Stand-in for ansible-test's downloaded get-pip script: its download host is not reachable from
our machines, so `make sanity` puts this file in ansible-test's cache under the expected name.

ansible-test runs it inside each new sanity virtualenv, with pip options and packages (e.g.
pip==24.2) as arguments, under a trimmed environment (PIP_CONFIG_FILE=/dev/null, no PIP_CERT).
On machines whose HTTPS goes through an inspecting proxy, pip then cannot verify PyPI. So this
installs the stdlib's bundled pip, makes the virtualenv's Python trust the system CA bundle for
pip (a .pth line that sets PIP_CERT when unset), then lets pip install what was asked.
"""

import ensurepip
import os
import runpy
import sys
import sysconfig

SYSTEM_CA_BUNDLES = ('/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt')

ensurepip.bootstrap(upgrade=True)
ca_bundle = next((path for path in SYSTEM_CA_BUNDLES if os.path.exists(path)), None)
if ca_bundle:
    with open(os.path.join(sysconfig.get_paths()['purelib'], 'wso2ops_pip_cert.pth'), 'w') as pth:
        pth.write('import os; os.environ.setdefault("PIP_CERT", %r)\n' % ca_bundle)
    os.environ.setdefault('PIP_CERT', ca_bundle)
sys.argv = ['pip', 'install'] + [arg for arg in sys.argv[1:] if arg not in ('--no-setuptools', '--no-wheel')]
runpy.run_module('pip', run_name='__main__', alter_sys=True)
