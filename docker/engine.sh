#!/usr/bin/env bash
# A container engine and a base image on a bare Debian machine without an image registry.
#
#   docker/engine.sh install   apt-get install docker.io and debootstrap when missing (root)
#   docker/engine.sh start     use the Docker daemon that answers, else start dockerd (root)
#   docker/engine.sh base      make $PYTHON_IMAGE available: present, pulled, or bootstrapped
#   docker/engine.sh stop      stop the dockerd that `start` started (by its recorded PID), nothing else
#   docker/engine.sh all       install, start, base
#
# Every step is idempotent. Host networking only: dockerd runs without a bridge, NAT or iptables rules.
set -euo pipefail

PYTHON_IMAGE="${PYTHON_IMAGE:-courier-base:bookworm}"
ENGINE_STATE_DIR="${ENGINE_STATE_DIR:-/run/courier-engine}"
BASE_CACHE_DIR="${BASE_CACHE_DIR:-/var/cache/courier-base}"
PID_FILE="$ENGINE_STATE_DIR/dockerd.pid"
SUITE=bookworm

say() { echo "engine: $*" >&2; }
die() {
  say "$*"
  exit 1
}

daemon_answers() { docker info >/dev/null 2>&1; }

need_root() { [ "$(id -u)" -eq 0 ] || die "$1 needs root (run it with sudo)"; }

cmd_install() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  if [ "${#missing[@]}" -eq 0 ]; then
    say "docker.io and debootstrap already installed"
    return
  fi
  need_root "installing ${missing[*]}"
  say "installing ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

cmd_start() {
  if daemon_answers; then
    say "a Docker daemon already answers; using it"
    return
  fi
  need_root "starting dockerd"
  command -v dockerd >/dev/null 2>&1 || die "dockerd not found: run '$0 install' first"
  mkdir -p "$ENGINE_STATE_DIR"
  # No bridge and no iptables: containers and builds use the host's network (--network host) only.
  dockerd --iptables=false --ip6tables=false --ip-masq=false --bridge=none \
    --storage-driver=overlay2 >"$ENGINE_STATE_DIR/dockerd.log" 2>&1 &
  echo $! >"$PID_FILE"
  local waited=0
  until daemon_answers; do
    kill -0 "$(cat "$PID_FILE")" 2>/dev/null || die "dockerd exited; see $ENGINE_STATE_DIR/dockerd.log"
    [ "$waited" -lt 300 ] || die "dockerd did not answer within 30 s; see $ENGINE_STATE_DIR/dockerd.log"
    sleep 0.1
    waited=$((waited + 1))
  done
  say "dockerd started (pid $(cat "$PID_FILE"))"
}

cmd_stop() {
  if [ ! -f "$PID_FILE" ]; then
    say "no dockerd started by this script; nothing to stop"
    return
  fi
  local pid
  pid="$(cat "$PID_FILE")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    # dockerd stops its containers first; give it the time it asks for.
    for _ in $(seq 1 300); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$PID_FILE"
  say "dockerd (pid $pid) stopped"
}

# The first Debian mirror named in the machine's apt sources (deb822 or one-line format).
apt_mirror() {
  local uri
  uri="$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v security | head -n1 || true)"
  [ -n "$uri" ] || uri="$(grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{print $2}' | grep -v security | head -n1 || true)"
  echo "${uri:-http://deb.debian.org/debian}"
}

# pip in the base uses the host's CA bundle and, when the host names one, the host's package index.
write_pip_conf() {
  local root="$1" index
  index="$(pip config get global.index-url 2>/dev/null || true)"
  {
    echo "[global]"
    echo "cert = /etc/ssl/certs/ca-certificates.crt"
    [ -z "$index" ] || echo "index-url = $index"
  } >"$root/etc/pip.conf"
}

bootstrap_base() {
  local tarball="$1" root
  need_root "bootstrapping a base image"
  command -v debootstrap >/dev/null 2>&1 || die "debootstrap not found: run '$0 install' first"
  root="$(mktemp -d /var/tmp/courier-base.XXXXXX)"
  # shellcheck disable=SC2064  # expand now: the directory is fixed
  trap "rm -rf '$root'" RETURN
  say "debootstrap $SUITE from $(apt_mirror) (about a minute)"
  debootstrap --variant=minbase --include=python3,python3-venv,python-is-python3,ca-certificates \
    "$SUITE" "$root" "$(apt_mirror)" >"$root.log" 2>&1 || die "debootstrap failed; see $root.log"
  rm -f "$root.log"
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/" 2>/dev/null || true
  chroot "$root" update-ca-certificates >/dev/null
  write_pip_conf "$root"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  mkdir -p "$BASE_CACHE_DIR"
  tar -C "$root" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
}

cmd_base() {
  daemon_answers || die "no Docker daemon answers: run '$0 start' first"
  if docker image inspect "$PYTHON_IMAGE" >/dev/null 2>&1; then
    say "$PYTHON_IMAGE present"
    return
  fi
  if timeout 20 docker pull -q "$PYTHON_IMAGE" >/dev/null 2>&1; then
    say "$PYTHON_IMAGE pulled"
    return
  fi
  local tarball="$BASE_CACHE_DIR/${PYTHON_IMAGE//[:\/]/_}.tar"
  [ -f "$tarball" ] || bootstrap_base "$tarball"
  docker import -c 'CMD ["python3"]' "$tarball" "$PYTHON_IMAGE" >/dev/null
  say "$PYTHON_IMAGE imported from $tarball (Debian $SUITE, Python $(docker run --rm --network host "$PYTHON_IMAGE" python3 -c 'import sys; print(sys.version.split()[0])'))"
}

case "${1:-}" in
install) cmd_install ;;
start) cmd_start ;;
stop) cmd_stop ;;
base) cmd_base ;;
all)
  cmd_install
  cmd_start
  cmd_base
  ;;
*) die "usage: $0 install|start|base|stop|all" ;;
esac
