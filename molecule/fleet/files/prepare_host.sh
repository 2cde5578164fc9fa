#!/usr/bin/env bash
# One fleet host before its first rollout (prepare.yml runs it once per host, after copying the stand-in and the
# local sources):
#   prepare_host.sh FIREWALL TOMLKIT PYTHON
# FIREWALL: nftables (the operator's ruleset loaded by nftables.service) or ufw (default deny, SSH allowed).
# TOMLKIT: "apt" (python3-tomlkit removed; /srv/local-apt the only apt source), "venv" (/opt/venv without tomlkit,
# pip from /srv/wheels only; /opt/venv-nopip without pip), or "" (as the image has it).
# PYTHON: the interpreter the role runs with; the counting wrapper /usr/local/bin/python3-counting runs it.
set -euo pipefail
firewall=$1 tomlkit=$2 python=$3

# Two MI homes with their offsets already in the file, both stand-ins running.
for pair in a:10 b:20; do
  name=${pair%%:*} offset=${pair#*:}
  mkdir -p "/opt/mi/$name/conf"
  sed "s/^# offset  = 10$/offset = $offset/" /root/deployment.toml > "/opt/mi/$name/conf/deployment.toml"
  grep -q "^offset = $offset$" "/opt/mi/$name/conf/deployment.toml"
  systemctl start "mi-standin@$name"
done

case $firewall in
  nftables)
    printf '%s\n' '#!/usr/sbin/nft -f' 'flush ruleset' 'table inet operator_filter {' '  chain input {' \
      '    type filter hook input priority filter; policy accept;' '    tcp dport 7000 counter accept comment "operator rule"' \
      '  }' '}' > /etc/nftables.conf
    systemctl enable --now nftables.service ;;
  ufw)
    ufw default deny incoming
    ufw allow 22/tcp comment 'operator ssh'
    ufw --force enable ;;
esac

case $tomlkit in
  apt)
    dpkg --remove python3-tomlkit
    mkdir -p /etc/apt/sources-removed
    find /etc/apt/sources.list /etc/apt/sources.list.d -maxdepth 1 -type f -exec mv {} /etc/apt/sources-removed/ \;
    echo 'deb [trusted=yes] file:/srv/local-apt ./' > /etc/apt/sources.list.d/local.list ;;
  venv)
    python3 -m venv --without-pip /opt/venv
    python3 -m venv --without-pip /opt/venv-nopip
    wheel=$(ls /srv/wheels/pip-*.whl)
    /opt/venv/bin/python "$wheel/pip" install --quiet --no-index "$wheel"
    printf '[global]\nno-index = true\nfind-links = /srv/wheels\n' > /etc/pip.conf ;;
esac
if [[ -n $tomlkit ]] && "$python" -c 'import tomlkit' 2>/dev/null; then
  echo "$python still imports tomlkit" >&2
  exit 1
fi

printf '#!/bin/sh\necho "$$" >> /root/python-launches.log\nexec %s "$@"\n' "$python" > /usr/local/bin/python3-counting
chmod 0755 /usr/local/bin/python3-counting
