#!/usr/bin/env bash
# Build the molecule test-host image from Debian packages (no container registry needed).
#
#   tests/hosts/build-image.sh            build localhost/wso2ops-mi-testhost:bookworm unless cached
#   MI_TESTHOST_IMAGE=NAME ...            other image name; a name outside localhost/ is pulled
#                                         from its registry instead of built (see README.md)
#   MI_TESTHOST_REBUILD=1 ...             rebuild even when the cached image is current
#   MI_TESTHOST_MIRROR=URL ...            Debian mirror (default: read from the apt sources)
#
# The image holds systemd (PID 1), python3, nftables, ufw, firewalld (all three installed,
# none enabled), iproute2, python3-tomlkit, the MI stand-in (mi-standin@.service) and an
# sshd stand-in that listens on TCP 22. Must run as root on Debian 12 when it has to build.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
IMAGE="${MI_TESTHOST_IMAGE:-localhost/wso2ops-mi-testhost:bookworm}"
SUITE=bookworm
LABEL=io.wso2ops.testhost.inputs
LOCK=/run/lock/wso2ops-mi-testhost.lock
# The project-local podman settings (runtime runc, ulimits), also when run by hand.
export CONTAINERS_CONF="${CONTAINERS_CONF:-$ROOT/molecule/containers.conf}"
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8

PACKAGES=(
  systemd systemd-sysv dbus
  nftables python3-nftables
  ufw iptables
  firewalld ipset
  iproute2 procps netcat-openbsd curl sudo
  python3-tomlkit python3-apt
)

log() { printf '%s build-image: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

need_root() { [[ $(id -u) -eq 0 ]] || die "must run as root to $1"; }

# Install host packages for the commands that are missing; apt-get update only when
# apt does not know a package yet (fresh machine with empty lists).
ensure_host_commands() {
  local missing=() pkg cmd
  for pair in "$@"; do
    cmd="${pair%%:*}" pkg="${pair#*:}"
    command -v "$cmd" >/dev/null 2>&1 || [[ -x /usr/sbin/$cmd ]] || missing+=("$pkg")
  done
  ((${#missing[@]})) || return 0
  need_root "install ${missing[*]}"
  log "installing host packages: ${missing[*]}"
  for pkg in "${missing[@]}"; do
    if ! apt-cache policy "$pkg" 2>/dev/null | grep -q 'Candidate: [^(]'; then
      apt-get update -qq
      break
    fi
  done
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Print "suite uri" for every enabled deb entry of the machine's apt sources
# (one-line *.list format and deb822 *.sources format).
apt_entries() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -r $f ]] || continue
    sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" | awk '$1 == "deb" && NF >= 3 { print $3, $2 }'
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -r $f ]] || continue
    awk '
      function flush(   i, j, nu, ns, u, s) {
        if (types ~ /(^| )deb( |$)/ && enabled !~ /^(no|false|0)$/) {
          nu = split(uris, u, " "); ns = split(suites, s, " ")
          for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++) print s[j], u[i]
        }
        types = uris = suites = enabled = ""
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      /^[ \t]/ { next }
      {
        key = tolower($1); sub(/:.*/, "", key); val = $0; sub(/^[^:]*:[ \t]*/, "", val)
        if (key == "types") types = val; else if (key == "uris") uris = val
        else if (key == "suites") suites = val; else if (key == "enabled") enabled = tolower(val)
      }
      END { flush() }' "$f"
  done
}

find_mirrors() {
  local entries
  entries="$(apt_entries | sed 's:/*$::')"
  MIRROR="${MI_TESTHOST_MIRROR:-}"
  if [[ -z $MIRROR ]]; then
    MIRROR="$(awk -v s="$SUITE" '$1 == s { print $2; exit }' <<<"$entries")"
  fi
  if [[ -z $MIRROR ]]; then
    # Another Debian release on the host: any Debian archive mirror also serves $SUITE.
    MIRROR="$(awk '$1 !~ /-security$/ && $2 ~ /\/debian$/ { print $2; exit }' <<<"$entries")"
  fi
  [[ -n $MIRROR ]] || die "no Debian mirror found in /etc/apt/sources.list{,.d/*.list,.d/*.sources}; set MI_TESTHOST_MIRROR"
  SECURITY="$(awk -v s="$SUITE-security" '$1 == s { print $2; exit }' <<<"$entries")"
}

inputs_hash() {
  (cd "$HERE" && cat build-image.sh mi-standin/mi_standin.py mi-standin/mi-standin@.service \
    sshd-standin/sshd-standin.socket sshd-standin/sshd-standin@.service) | sha256sum | cut -c1-16
}

image_is_current() {
  podman image exists "$IMAGE" || return 1
  [[ ${MI_TESTHOST_REBUILD:-0} == 1 ]] && return 1
  local have
  have="$(podman image inspect --format "{{ index .Labels \"$LABEL\" }}" "$IMAGE" 2>/dev/null || true)"
  if [[ $have != "$HASH" ]]; then
    [[ ${1:-} == quiet ]] || log "$IMAGE exists but was built from other inputs ($have, now $HASH): rebuilding"
    return 1
  fi
}

WORK=""
cleanup() {
  [[ -n $WORK && -d $WORK ]] || return 0
  local m
  for m in proc sys dev/pts; do
    mountpoint -q "$WORK/rootfs/$m" 2>/dev/null && umount -l "$WORK/rootfs/$m"
  done
  # Never follow a mount out of the rootfs.
  rm -rf --one-file-system "$WORK"
}

in_root() { chroot "$WORK/rootfs" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
  DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"; }

build() {
  local rootfs="$WORK/rootfs" started=$SECONDS
  find_mirrors
  log "debootstrap $SUITE from $MIRROR"
  debootstrap --variant=minbase --include=python3 "$SUITE" "$rootfs" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
    || { tail -n 30 "$WORK/debootstrap.log" >&2; die "debootstrap failed"; }

  # apt inside the image: same mirror, no recommends, no docs, no service starts.
  {
    echo "deb $MIRROR $SUITE main"
    echo "deb $MIRROR $SUITE-updates main"
    [[ -z $SECURITY ]] || echo "deb $SECURITY $SUITE-security main"
  } >"$rootfs/etc/apt/sources.list"
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$rootfs/etc/apt/apt.conf.d/90wso2ops-testhost"
  printf '%s\n' 'path-exclude=/usr/share/doc/*' 'path-include=/usr/share/doc/*/copyright' \
    'path-exclude=/usr/share/man/*' 'path-exclude=/usr/share/info/*' \
    'path-exclude=/usr/share/locale/*' 'path-include=/usr/share/locale/locale.alias' \
    >"$rootfs/etc/dpkg/dpkg.cfg.d/90wso2ops-testhost"
  printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
  chmod 755 "$rootfs/usr/sbin/policy-rc.d"

  mount -t proc proc "$rootfs/proc"
  log "apt-get install ${PACKAGES[*]}"
  in_root apt-get update -qq >"$WORK/apt.log" 2>&1 && \
  in_root apt-get install -y -q --no-install-recommends "${PACKAGES[@]}" >>"$WORK/apt.log" 2>&1 \
    || { tail -n 30 "$WORK/apt.log" >&2; die "apt-get install in the rootfs failed"; }
  in_root apt-get clean
  umount "$rootfs/proc"
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs/usr/sbin/policy-rc.d" "$rootfs"/var/cache/apt/*.bin \
    "$rootfs"/var/log/apt/* "$rootfs"/var/log/*.log "$rootfs"/tmp/* "$rootfs"/var/tmp/*

  # MI stand-in (no instance enabled: scenarios create /opt/mi/<name> and start it).
  install -d -m 755 "$rootfs/opt/mi-standin" "$rootfs/opt/mi"
  install -m 755 "$HERE/mi-standin/mi_standin.py" "$rootfs/opt/mi-standin/mi_standin.py"
  install -m 644 "$HERE/mi-standin/mi-standin@.service" "$rootfs/etc/systemd/system/mi-standin@.service"
  # sshd stand-in: something answers on TCP 22 once systemd is up.
  install -m 644 "$HERE/sshd-standin/sshd-standin.socket" "$HERE/sshd-standin/sshd-standin@.service" \
    "$rootfs/etc/systemd/system/"

  # Units: the scenarios decide which firewall runs, so none is enabled.
  in_root systemctl disable firewalld.service ufw.service nftables.service >/dev/null 2>&1 || true
  in_root systemctl enable sshd-standin.socket >/dev/null 2>&1
  # Units that only fail or disturb tests inside a container (apt timers would take the
  # dpkg lock in the middle of a scenario).
  in_root systemctl mask \
    apt-daily.timer apt-daily-upgrade.timer apt-daily.service apt-daily-upgrade.service \
    getty@tty1.service console-getty.service serial-getty@.service getty-static.service \
    systemd-resolved.service systemd-timesyncd.service systemd-firstboot.service \
    systemd-udevd.service systemd-udev-trigger.service systemd-udev-settle.service \
    systemd-hwdb-update.service systemd-modules-load.service sys-kernel-debug.mount \
    sys-kernel-tracing.mount sys-kernel-config.mount dev-hugepages.mount \
    systemd-remount-fs.service e2scrub_reap.service fstrim.timer >/dev/null 2>&1
  # A fresh machine id at every container start; podman provides hostname and resolv.conf.
  : >"$rootfs/etc/machine-id"
  rm -f "$rootfs/var/lib/dbus/machine-id"

  local old_id=""
  old_id="$(podman image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)"
  log "importing into podman as $IMAGE"
  tar --numeric-owner --xattrs -C "$rootfs" -c . | podman import --quiet \
    --change 'CMD ["/sbin/init"]' \
    --change 'STOPSIGNAL SIGRTMIN+3' \
    --change 'ENV container=podman' \
    --change "LABEL $LABEL=$HASH" \
    --change "LABEL org.opencontainers.image.description=wso2ops.micro_integrator molecule test host ($SUITE, systemd, nftables/ufw/firewalld, MI stand-in)" \
    - "$IMAGE" >/dev/null
  if [[ -n $old_id ]] && [[ $old_id != "$(podman image inspect --format '{{.Id}}' "$IMAGE")" ]]; then
    podman rmi "$old_id" >/dev/null 2>&1 || log "previous image $old_id is still in use; left in place"
  fi
  log "built $IMAGE in $((SECONDS - started)) s ($(podman image inspect --format '{{.Size}}' "$IMAGE") bytes)"
}

main() {
  ensure_host_commands podman:podman runc:runc
  if [[ $IMAGE != localhost/* ]]; then
    # A registry image (e.g. a stock Debian or Rocky Linux systemd image): pull, don't build.
    podman image exists "$IMAGE" || podman pull "$IMAGE"
    log "using $IMAGE as is: it must provide systemd and python3; the scenarios' prepare step installs the stand-ins"
    return 0
  fi
  HASH="$(inputs_hash)"
  if image_is_current; then
    log "$IMAGE is cached (inputs $HASH)"
    return 0
  fi
  need_root "build $IMAGE"
  ensure_host_commands debootstrap:debootstrap
  mkdir -p "$(dirname "$LOCK")"
  exec 9>"$LOCK"
  flock 9
  # Another build may have finished while this one waited for the lock.
  if image_is_current quiet; then
    log "$IMAGE is cached (inputs $HASH)"
    return 0
  fi
  WORK="$(mktemp -d "${TMPDIR:-/var/tmp}/wso2ops-mi-testhost.XXXXXX")"
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  build
}

main "$@"
