#!/usr/bin/env bash
# Install the Debian packages that make unit's tests use, when they are missing:
#   chromium          the browser test of the audit page (tests/functional/test_audit_browser.py); Playwright
#                     drives this system browser and never downloads one of its own
#   python3-firewall  firewalld's client for the system Python: the firewall module, run under another Python,
#                     runs itself again under the system one (tests/functional/test_firewall_module.py)
#   nftables, ufw     the backends against real kernel rulesets, each in a network and mount namespace of its
#   (iptables)        own (tests/functional/test_firewall_namespaces.py); installed, nothing is enabled: ufw.conf
#                     keeps ENABLED=no and nftables.service stays disabled
#   python3-nftables  what firewalld's daemon drives nftables with (the same tests)
# and firewalld's daemon, unpacked into .build/firewalld but not installed: installed, Debian's package enables
# and starts firewalld.service as this machine's own firewall. The tests mount it over /usr and /etc of their
# namespace only; the link to its polkit actions is the one the package's postinst makes.
#
#   tests/install-packages.sh        # as root; returns at once when everything is there
set -euo pipefail

FIREWALLD="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.build/firewalld"
missing=()
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
/usr/bin/python3 -c 'import firewall.client' 2>/dev/null || missing+=(python3-firewall)
/usr/bin/python3 -c 'import nftables' 2>/dev/null || missing+=(python3-nftables)
[[ -x /usr/sbin/nft ]] || missing+=(nftables)
[[ -x /usr/sbin/ufw ]] || missing+=(ufw)
[[ -x /usr/sbin/iptables ]] || missing+=(iptables)
[[ ${#missing[@]} -eq 0 && -x $FIREWALLD/usr/sbin/firewalld ]] && exit 0
[[ $(id -u) -eq 0 ]] || { echo "install-packages: ${missing[*]} firewalld missing; run this script as root" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
# apt-get update only when apt does not know a package yet (fresh machine with empty lists).
for package in "${missing[@]}" firewalld; do
  apt-cache policy "$package" 2>/dev/null | grep -q 'Candidate: [^(]' || { apt-get update -qq; break; }
done
if [[ ${#missing[@]} -gt 0 ]]; then
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "install-packages: installed ${missing[*]}" >&2
fi
if [[ ! -x $FIREWALLD/usr/sbin/firewalld ]]; then
  rm -rf "$FIREWALLD" "$FIREWALLD.deb" && mkdir -p "$FIREWALLD.deb"
  (cd "$FIREWALLD.deb" && apt-get download -qq -o APT::Sandbox::User=root firewalld)
  dpkg-deb -x "$FIREWALLD.deb"/firewalld_*.deb "$FIREWALLD"
  ln -s org.fedoraproject.FirewallD1.server.policy.choice \
    "$FIREWALLD/usr/share/polkit-1/actions/org.fedoraproject.FirewallD1.policy"
  rm -rf "$FIREWALLD.deb"
  echo "install-packages: unpacked firewalld into $FIREWALLD (not installed)" >&2
fi
