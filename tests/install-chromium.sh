#!/usr/bin/env bash
# Install Debian's Chromium for the browser test of the audit page (tests/functional/test_audit_browser.py),
# when it is missing. Playwright drives this system browser; it never downloads a browser of its own.
#
#   tests/install-chromium.sh        # as root; returns at once when /usr/bin/chromium is there
set -euo pipefail

CHROMIUM=/usr/bin/chromium
[[ -x $CHROMIUM ]] && exit 0
[[ $(id -u) -eq 0 ]] || { echo "install-chromium: $CHROMIUM is missing; run this script as root" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
# apt-get update only when apt does not know the package yet (fresh machine with empty lists).
apt-cache policy chromium 2>/dev/null | grep -q 'Candidate: [^(]' || apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
"$CHROMIUM" --version >&2
