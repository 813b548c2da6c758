# scripts/lib/common.sh: conventions shared by every xTrader script. Source it; don't run it.
#
#   XT_ROOT        the repository (absolute)
#   XT_STATE_DIR   git-ignored run folder for the cluster, brokers, logs (default $XT_ROOT/.xtrader)
#   XT_USER        OS user that runs PostgreSQL (it refuses to run as root), default "xtrader"
#   XT_PGPORT      the private cluster's port (default 55432): the one place it is set
#   XT_PGHOST      the cluster's Unix socket folder
#   XT_REST_PORT   REST API port of the cluster's network worker (default 7000)
#   XT_WS_PORT     WebSocket API port (default 7001)
#
# Every value can be overridden from the environment, e.g. XT_PGPORT=55433 scripts/cluster start.

XT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
XT_STATE_DIR=${XT_STATE_DIR:-$XT_ROOT/.xtrader}
XT_USER=${XT_USER:-xtrader}
XT_PGPORT=${XT_PGPORT:-55432}
XT_REST_PORT=${XT_REST_PORT:-7000}
XT_WS_PORT=${XT_WS_PORT:-7001}
XT_PGDATA=${XT_PGDATA:-$XT_STATE_DIR/pgdata}
XT_PGHOST=${XT_PGHOST:-$XT_STATE_DIR/socket}
XT_LOG_DIR=${XT_LOG_DIR:-$XT_STATE_DIR/log}
XT_PGBIN=${XT_PGBIN:-$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)}
export XT_ROOT XT_STATE_DIR XT_USER XT_PGPORT XT_REST_PORT XT_WS_PORT XT_PGDATA XT_PGHOST XT_LOG_DIR XT_PGBIN

xt_log() { printf '%s\n' "$*" >&2; }
xt_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Run a command as root: directly when we are root, else through sudo.
xt_as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# The user that owns and runs the cluster: $XT_USER when we are root (PostgreSQL refuses root),
# otherwise the caller itself.
xt_service_user() {
  if [ "$(id -u)" -eq 0 ]; then echo "$XT_USER"; else id -un; fi
}

# Run a command as the service user, keeping the environment the scripts set.
xt_as_service() {
  local u; u=$(xt_service_user)
  if [ "$u" = "$(id -un)" ]; then "$@"
  else runuser -u "$u" -m -- "$@"; fi
}

# Create the service user if it is missing (root only).
xt_ensure_service_user() {
  [ "$(id -u)" -eq 0 ] || return 0
  id -u "$XT_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$XT_USER"
}

# Wait until "$@" succeeds, up to $1 seconds (checks every 0.2 s). Returns 1 on time-out.
xt_wait_for() {
  local secs=$1; shift
  local tries=$((secs * 5))
  while [ $tries -gt 0 ]; do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
    tries=$((tries - 1))
  done
  return 1
}

# True when a TCP port on 127.0.0.1 accepts connections.
xt_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
