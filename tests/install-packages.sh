#!/usr/bin/env bash
# Install the Debian packages that make unit's tests use, when they are missing:
#   chromium          the browser test of the audit page (tests/functional/test_audit_browser.py); Playwright
#                     drives this system browser and never downloads one of its own
#   python3-firewall  firewalld's client for the system Python: the firewall module, run under another Python,
#                     runs itself again under the system one (tests/functional/test_firewall_module.py)
#   nftables, ufw     the nftables and ufw backends against real kernel rulesets, each in a network and mount
#   (iptables)        namespace of its own (tests/functional/test_firewall_namespaces.py); installed, nothing is
#                     enabled: ufw.conf keeps ENABLED=no and nftables.service stays disabled
#
#   tests/install-packages.sh        # as root; returns at once when everything is there
set -euo pipefail

missing=()
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
/usr/bin/python3 -c 'import firewall.client' 2>/dev/null || missing+=(python3-firewall)
[[ -x /usr/sbin/nft ]] || missing+=(nftables)
[[ -x /usr/sbin/ufw ]] || missing+=(ufw)
[[ -x /usr/sbin/iptables ]] || missing+=(iptables)
[[ ${#missing[@]} -eq 0 ]] && exit 0
[[ $(id -u) -eq 0 ]] || { echo "install-packages: ${missing[*]} missing; run this script as root" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
# apt-get update only when apt does not know a package yet (fresh machine with empty lists).
for package in "${missing[@]}"; do
  apt-cache policy "$package" 2>/dev/null | grep -q 'Candidate: [^(]' || { apt-get update -qq; break; }
done
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-packages: installed ${missing[*]}" >&2
