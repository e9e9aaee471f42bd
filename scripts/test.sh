#!/usr/bin/env bash
# Runs every Tika test, the way CI does:
#   formatting, clippy -D warnings, unit tests, the storage contract suite and the API tests on
#   SQLite AND PostgreSQL, and the citizen pages end to end in headless Chromium (both backends).
# On a fresh Debian machine it installs what it needs (PostgreSQL, Chromium, poppler-utils, Kannel,
# Mosquitto, Node packages), starts a private PostgreSQL when none answers on 127.0.0.1:5432, and
# always a private Mosquitto broker on loopback for the cold chain ingest tests.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# Where cargo builds (a CARGO_TARGET_DIR set by the caller is honoured).
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}

log() { printf '\n==> %s\n' "$*"; }

apt_updated=0
apt_install() {
  if [ "$(id -u)" != 0 ]; then
    echo "missing packages ($*) and not root: install them with apt-get and re-run" >&2
    exit 1
  fi
  if [ "$apt_updated" = 0 ]; then apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# --- tools ------------------------------------------------------------------------------------
missing=()
command -v psql >/dev/null || missing+=(postgresql-client)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
command -v chromium >/dev/null || missing+=(chromium)
command -v pdftotext >/dev/null || missing+=(poppler-utils)
command -v python3 >/dev/null || missing+=(python3)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
[ -x /usr/sbin/bearerbox ] || missing+=(kannel)
[ -x /usr/lib/kannel/test/fakesmsc ] || missing+=(kannel-extras)
{ [ -x /usr/sbin/mosquitto ] && command -v mosquitto_passwd >/dev/null; } || missing+=(mosquitto)
command -v mosquitto_pub >/dev/null || missing+=(mosquitto-clients)
if [ ${#missing[@]} -gt 0 ]; then log "installing ${missing[*]}"; apt_install "${missing[@]}"; fi

# --- PostgreSQL -------------------------------------------------------------------------------
PG_STARTED_DIR=""
MQTT_DIR=""
MQTT_PID=""
cleanup() {
  if [ -n "$PG_STARTED_DIR" ]; then
    su postgres -c "$(ls -d /usr/lib/postgresql/*/bin | tail -1)/pg_ctl -D $PG_STARTED_DIR/data -m fast stop" >/dev/null 2>&1 || true
  fi
  if [ -n "$MQTT_PID" ]; then kill "$MQTT_PID" 2>/dev/null || true; wait "$MQTT_PID" 2>/dev/null || true; fi
  if [ -n "$MQTT_DIR" ]; then rm -rf "$MQTT_DIR"; fi
}
trap cleanup EXIT

pg_answers() { psql "$1" -Atqc 'select 1' >/dev/null 2>&1; }

if [ -n "${TIKA_TEST_PG_URL:-}" ] && pg_answers "$TIKA_TEST_PG_URL"; then
  log "using PostgreSQL at TIKA_TEST_PG_URL"
elif pg_answers "postgres://postgres@127.0.0.1:5432/postgres"; then
  export TIKA_TEST_PG_URL="postgres://postgres@127.0.0.1:5432/postgres"
  log "using the PostgreSQL already running on 127.0.0.1:5432"
else
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin | tail -1)
  PG_STARTED_DIR=$(mktemp -d /tmp/tika-pg.XXXXXX)
  chown postgres:postgres "$PG_STARTED_DIR"
  log "starting a private PostgreSQL in $PG_STARTED_DIR on port 55432"
  su postgres -c "$PGBIN/initdb -D $PG_STARTED_DIR/data -U postgres --auth=trust -E UTF8" >/dev/null
  su postgres -c "$PGBIN/pg_ctl -D $PG_STARTED_DIR/data -l $PG_STARTED_DIR/server.log -w -o '-c listen_addresses=127.0.0.1 -p 55432 -k $PG_STARTED_DIR -c max_connections=300 -c fsync=on' start" >/dev/null
  export TIKA_TEST_PG_URL="postgres://postgres@127.0.0.1:55432/postgres"
  pg_answers "$TIKA_TEST_PG_URL" || { echo "PostgreSQL did not start" >&2; cat "$PG_STARTED_DIR/server.log" >&2; exit 1; }
fi
# Databases left by earlier runs (each test makes its own).
for db in $(psql "$TIKA_TEST_PG_URL" -Atqc "select datname from pg_database where datname like 'tika_test_%' or datname like 'tika_e2e_%'"); do
  psql "$TIKA_TEST_PG_URL" -qc "drop database if exists $db" >/dev/null 2>&1 || true
done

# --- Mosquitto (cold chain ingest tests) -------------------------------------------------------
# A private broker on a free loopback port: a password file with a test user, no anonymous
# access, no persistence.  Started as root, mosquitto drops to the 'mosquitto' user before it
# reads the password file, so the files must belong to that user.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
MQTT_PORT=18830
while port_open "$MQTT_PORT"; do MQTT_PORT=$((MQTT_PORT + 1)); done
MQTT_DIR=$(mktemp -d /tmp/tika-mqtt.XXXXXX)
{
  echo "listener $MQTT_PORT 127.0.0.1"
  echo "allow_anonymous false"
  echo "password_file $MQTT_DIR/passwd"
  echo "persistence false"
  echo "max_inflight_messages 1000"
  echo "max_queued_messages 100000"
  echo "log_dest file $MQTT_DIR/broker.log"
} > "$MQTT_DIR/mosquitto.conf"
mosquitto_passwd -c -b "$MQTT_DIR/passwd" tika-test tika-test-pw >/dev/null 2>&1
if id mosquitto >/dev/null 2>&1; then chown -R mosquitto:mosquitto "$MQTT_DIR"; fi
log "starting a private Mosquitto on 127.0.0.1:$MQTT_PORT"
/usr/sbin/mosquitto -c "$MQTT_DIR/mosquitto.conf" >/dev/null 2>&1 &
MQTT_PID=$!
for _ in $(seq 1 50); do port_open "$MQTT_PORT" && break; sleep 0.1; done
port_open "$MQTT_PORT" || { echo "Mosquitto did not start" >&2; cat "$MQTT_DIR/broker.log" >&2 || true; exit 1; }
export TIKA_TEST_MQTT_URL="mqtt://tika-test:tika-test-pw@127.0.0.1:$MQTT_PORT"

# --- Rust -------------------------------------------------------------------------------------
log "cargo fmt --check"
cargo fmt --all -- --check
log "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings
log "cargo test (SQLite and PostgreSQL)"
cargo test --workspace --locked
log "building the tika binary for the browser tests"
cargo build -p tika --locked

# --- browser ----------------------------------------------------------------------------------
log "browser tests in headless Chromium (SQLite and PostgreSQL)"
(cd e2e && npm ci --no-audit --no-fund --loglevel=error)
TIKA_BIN="$TARGET/debug/tika" node e2e/run.mjs
TIKA_BIN="$TARGET/debug/tika" node e2e/site.mjs
TIKA_BIN="$TARGET/debug/tika" node e2e/console.mjs
TIKA_BIN="$TARGET/debug/tika" node e2e/console-bulk.mjs
TIKA_BIN="$TARGET/debug/tika" node e2e/console-policy.mjs
TIKA_BIN="$TARGET/debug/tika" node e2e/console-followup.mjs
TIKA_BIN="$TARGET/debug/tika" node e2e/console-coldchain.mjs
TIKA_BIN="$TARGET/debug/tika" node e2e/reports.mjs

log "certificates end to end: independent verifiers (DIVOC jsonld-signatures 6, Digital Bazaar vc 7) and the verification page"
(cd e2e/verifiers && npm ci --no-audit --no-fund --loglevel=error)
TIKA_BIN="$TARGET/debug/tika" node e2e/certificates.mjs

log "notifications end to end against a real Kannel (bearerbox, smsbox, fakesmsc): OTP, confirmations, delivery reports, UCS-2, outages, incoming SMS"
TIKA_BIN="$TARGET/debug/tika" node e2e/notifications.mjs
