# Sourced by nextx's container scripts: podman with the settings this sandbox needs
# (infra/containers/containers.conf: runc, explicit ulimits, host network). Installs podman, runc
# and mmdebstrap from Debian when they are missing and apt-get can run, and podman-compose from
# PyPI into .tools/podman-compose: Debian bookworm's 1.0.3 adds a bridge network to every
# container, which `network_mode: host` refuses ("cannot set multiple networks").
nextx_containers_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
nextx_root="$(cd "$nextx_containers_dir/../.." && pwd)"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$nextx_containers_dir/containers.conf}"
PODMAN_COMPOSE_VERSION=1.5.0
if ! command -v podman >/dev/null || ! command -v mmdebstrap >/dev/null || ! command -v runc >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "[containers] installing podman, runc, mmdebstrap (apt-get)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      podman runc mmdebstrap uidmap fuse-overlayfs python3-venv >/dev/null
  else
    echo "[containers] podman, runc and mmdebstrap are needed (apt-get install podman runc mmdebstrap)" >&2
    return 1 2>/dev/null || exit 1
  fi
fi
export PODMAN_COMPOSE="$nextx_root/.tools/podman-compose/bin/podman-compose"
if ! "$PODMAN_COMPOSE" --version 2>/dev/null | grep -q "podman-compose version $PODMAN_COMPOSE_VERSION"; then
  echo "[containers] installing podman-compose $PODMAN_COMPOSE_VERSION (PyPI) into .tools/podman-compose"
  python3 -m venv "$nextx_root/.tools/podman-compose" &&
    "$nextx_root/.tools/podman-compose/bin/pip" install -q "podman-compose==$PODMAN_COMPOSE_VERSION" ||
    { echo "[containers] podman-compose install failed" >&2; return 1 2>/dev/null || exit 1; }
fi
