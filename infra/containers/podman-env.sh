# Sourced by nextx's container scripts: podman with the settings this sandbox needs
# (infra/containers/containers.conf: runc, explicit ulimits, host network). Installs podman,
# mmdebstrap and podman-compose from Debian when they are missing and apt-get can run.
nextx_containers_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$nextx_containers_dir/containers.conf}"
if ! command -v podman >/dev/null || ! command -v mmdebstrap >/dev/null || ! command -v podman-compose >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "[containers] installing podman, runc, mmdebstrap, podman-compose (apt-get)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      podman runc mmdebstrap podman-compose uidmap fuse-overlayfs >/dev/null
  else
    echo "[containers] podman, mmdebstrap and podman-compose are needed (apt-get install podman runc mmdebstrap podman-compose)" >&2
    return 1 2>/dev/null || exit 1
  fi
fi
