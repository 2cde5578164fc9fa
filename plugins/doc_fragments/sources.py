# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wso2ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

class ModuleDocFragment:
    # Who may reach which ports: the same two options wherever firewall rules are built.
    DOCUMENTATION = r"""
options:
  public_sources:
    description:
      - Networks (IPv4 or IPv6 addresses or CIDRs) allowed to reach the pass-through ports; null means any address.
    type: list
    elements: str
  management_sources:
    description:
      - Networks allowed to reach the C(management) ports (Management API over HTTPS, debuggers); empty or null keeps
        them closed. They are never opened to every address (C(0.0.0.0/0) or C(::/0) is refused).
    type: list
    elements: str
    default: []
  monitoring_sources:
    description:
      - Networks allowed to reach the C(monitoring) port (the internal HTTP port while it serves C(/healthz),
        C(/liveness) and Prometheus metrics; MI also serves the Management API over HTTP there unless
        C([management_api] protocols) is C("https")).
      - The default, the private and carrier-grade NAT ranges, keeps health checks from load balancers, Kubernetes
        nodes and Prometheus inside the network working while the world cannot reach that port. Empty or null closes
        it.
      - Every address (C(0.0.0.0/0)) is refused while the port also serves the Management API (MI's default); set
        C([management_api] protocols = "https") first.
    type: list
    elements: str
    default: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10, "fc00::/7"]
"""

    # The firewall options besides the sources, for the modules that change a firewall.
    FIREWALL = r"""
options:
  inbound_sources:
    description:
      - Networks allowed to reach an inbound endpoint, by endpoint name, for example C(HL7Orders) mapped to
        C([192.0.2.0/24]). An endpoint listed here is open to those networks only (an empty list keeps it closed to
        all but loopback); the others follow their exposure class (C(public) listeners follow O(public_sources)).
      - Rules are named after the endpoint, so removing the CApp or file that deploys it removes exactly its rules
        on the next run.
    type: dict
    default: {}
  firewalld_zone:
    description: firewalld zone of the services and rich rules; null means firewalld's default zone.
    type: str
"""
