#!/usr/bin/env bash
# A throw-away Kannel on loopback: bearerbox + smsbox + fakesmsc (the fake operator).
#
#   scripts/kannel.sh start <dir> <app-base-url>   write <dir>/kannel.conf, start everything, wait until online
#   scripts/kannel.sh stop-bearerbox <dir>          bearerbox crashes (the gateway "goes down": sendsms refused)
#   scripts/kannel.sh start-bearerbox <dir>         start it again and wait until the fake SMSC is online
#   scripts/kannel.sh stop-smsc <dir> / start-smsc <dir>   the operator link (fakesmsc) goes down / comes back
#   scripts/kannel.sh mo <dir> <from> <to> <text…>  a phone sends an SMS (MO) through fakesmsc
#   scripts/kannel.sh status <dir>                  bearerbox's status.txt
#   scripts/kannel.sh stop <dir>                    stop everything
#
# Ports (env): KANNEL_ADMIN_PORT 13000, KANNEL_SMSBOX_PORT 13001, KANNEL_SENDSMS_PORT 13013,
# KANNEL_FAKESMSC_PORT 10000.  sendsms user tika / tika-secret (KANNEL_USER / KANNEL_PASSWORD).
# MO get-url: <app-base-url>/api/sms/v1/mo?from=%p&to=%P&text=%a&token=$KANNEL_MO_TOKEN (tika-mo-token).
# Messages the fake SMSC "delivers" are logged in <dir>/fakesmsc.out, one per line:
#   Got message N: <FROM TO text TEXT>   or   <FROM TO ucs-2 URL-ENCODED-UTF-16BE>
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ADMIN_PORT="${KANNEL_ADMIN_PORT:-13000}"
SMSBOX_PORT="${KANNEL_SMSBOX_PORT:-13001}"
SENDSMS_PORT="${KANNEL_SENDSMS_PORT:-13013}"
FAKESMSC_PORT="${KANNEL_FAKESMSC_PORT:-10000}"
SENDSMS_USER="${KANNEL_USER:-tika}"
SENDSMS_PASSWORD="${KANNEL_PASSWORD:-tika-secret}"
MO_TOKEN="${KANNEL_MO_TOKEN:-tika-mo-token}"
ADMIN_PASSWORD="${KANNEL_ADMIN_PASSWORD:-adminpw}"
STATUS_PASSWORD="${KANNEL_STATUS_PASSWORD:-statuspw}"
BEARERBOX=/usr/sbin/bearerbox
SMSBOX=/usr/sbin/smsbox
FAKESMSC=/usr/lib/kannel/test/fakesmsc

die() { echo "kannel.sh: $*" >&2; exit 1; }

ensure_installed() {
    if [[ -x $BEARERBOX && -x $SMSBOX && -x $FAKESMSC ]]; then return; fi
    if [[ $(id -u) -ne 0 ]]; then
        die "Kannel is not installed ($BEARERBOX, $SMSBOX, $FAKESMSC); as root run: apt-get install -y kannel kannel-extras"
    fi
    echo "kannel.sh: installing kannel kannel-extras" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y kannel kannel-extras >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y kannel kannel-extras >/dev/null; }
    [[ -x $BEARERBOX && -x $FAKESMSC ]] || die "installing Kannel failed"
}

status_url() { echo "http://127.0.0.1:$ADMIN_PORT/status.txt?password=$STATUS_PASSWORD"; }

# Waits until status.txt shows the fake SMSC online and smsbox connected.
wait_online() {
    local dir=$1 deadline=$((SECONDS + 20))
    while ((SECONDS < deadline)); do
        local st
        st=$(curl -fsS --max-time 2 "$(status_url)" 2>/dev/null || true)
        # Online = the fake SMSC is connected and an smsbox is attached.
        if grep -q 'FAKE\[FAKE\].*(online' <<<"$st" && grep -q 'smsbox:.*on-line' <<<"$st"; then
            return 0
        fi
        sleep 0.3
    done
    echo "kannel.sh: the fake SMSC did not come online within 20 s; last status and logs:" >&2
    curl -sS --max-time 2 "$(status_url)" >&2 || true
    tail -n 20 "$dir"/bb.out "$dir"/smsbox.out "$dir"/fakesmsc.out >&2 2>/dev/null || true
    return 1
}

pid_alive() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

kill_pidfile() {
    local f=$1
    if pid_alive "$f"; then
        local pid; pid=$(cat "$f")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$f"
}

start_bearerbox() {
    local dir=$1
    pid_alive "$dir/bearerbox.pid" && die "bearerbox already running (pid $(cat "$dir/bearerbox.pid"))"
    (cd "$dir" && exec "$BEARERBOX" -v 1 kannel.conf >>bb.out 2>&1) &
    echo $! >"$dir/bearerbox.pid"
}

start_fakesmsc() {
    local dir=$1
    # fakesmsc with no message arguments reads MO lines from stdin and exits at EOF: feed it
    # from a FIFO that a sleeping process holds open (the FIFO is also how `mo` injects lines).
    [[ -p $dir/mo.fifo ]] || mkfifo "$dir/mo.fifo"
    if ! pid_alive "$dir/fifo-holder.pid"; then
        # Its stderr too: a caller reading our output (a pipe) would otherwise wait for it.
        (exec sleep 2147483647 >"$dir/mo.fifo" 2>/dev/null </dev/null) &
        echo $! >"$dir/fifo-holder.pid"
    fi
    (exec "$FAKESMSC" -H 127.0.0.1 -r "$FAKESMSC_PORT" <"$dir/mo.fifo" >>"$dir/fakesmsc.out" 2>&1) &
    echo $! >"$dir/fakesmsc.pid"
}

cmd_start() {
    local dir=${1:?usage: kannel.sh start <dir> <app-base-url>} app=${2:?usage: kannel.sh start <dir> <app-base-url>}
    ensure_installed
    command -v curl >/dev/null || die "curl is needed"
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    for f in bearerbox smsbox fakesmsc; do
        pid_alive "$dir/$f.pid" && die "$f already running in $dir (pid $(cat "$dir/$f.pid")); run: $0 stop $dir"
    done
    app=${app%/}
    sed -e "s|@DIR@|$dir|g" -e "s|@APP_BASE@|$app|g" -e "s|@MO_TOKEN@|$MO_TOKEN|g" \
        -e "s|@ADMIN_PORT@|$ADMIN_PORT|g" -e "s|@SMSBOX_PORT@|$SMSBOX_PORT|g" \
        -e "s|@SENDSMS_PORT@|$SENDSMS_PORT|g" -e "s|@FAKESMSC_PORT@|$FAKESMSC_PORT|g" \
        -e "s|@SENDSMS_USER@|$SENDSMS_USER|g" -e "s|@SENDSMS_PASSWORD@|$SENDSMS_PASSWORD|g" \
        -e "s|@ADMIN_PASSWORD@|$ADMIN_PASSWORD|g" -e "s|@STATUS_PASSWORD@|$STATUS_PASSWORD|g" \
        "$HERE/kannel/kannel.conf.template" >"$dir/kannel.conf"
    : >"$dir/fakesmsc.out"
    # A fresh start forgets what an earlier run left queued in the store.
    rm -f "$dir"/bearerbox.store "$dir"/bearerbox.store.*
    start_bearerbox "$dir"
    # bearerbox must listen before fakesmsc and smsbox connect.
    local deadline=$((SECONDS + 10))
    until curl -fsS --max-time 1 "$(status_url)" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || { tail -n 20 "$dir/bb.out" >&2; die "bearerbox did not start"; }
        pid_alive "$dir/bearerbox.pid" || { tail -n 20 "$dir/bb.out" >&2; die "bearerbox exited"; }
        sleep 0.2
    done
    start_fakesmsc "$dir"
    (cd "$dir" && exec "$SMSBOX" -v 1 kannel.conf >>smsbox.out 2>&1) &
    echo $! >"$dir/smsbox.pid"
    wait_online "$dir" || { cmd_stop "$dir"; exit 1; }
    # smsbox's sendsms port.
    deadline=$((SECONDS + 10))
    until curl -sS --max-time 1 -o /dev/null "http://127.0.0.1:$SENDSMS_PORT/" 2>/dev/null; do
        ((SECONDS < deadline)) || { tail -n 20 "$dir/smsbox.out" >&2; die "smsbox did not open port $SENDSMS_PORT"; }
        sleep 0.2
    done
    echo "kannel up in $dir: sendsms http://127.0.0.1:$SENDSMS_PORT/cgi-bin/sendsms (user $SENDSMS_USER), status $(status_url)"
}

# Kills bearerbox (SIGKILL: a crash; KANNEL_STOP_SIGNAL=TERM for a clean shutdown).  What Kannel
# 1.4.5 itself does next, observed: smsbox closes its sendsms port at once ("Bearerbox is gone,
# restarting", so sendsms is connection refused), sleeps ~10 s, re-launches and PANICs ("Couldn't
# connect to the bearerbox") if bearerbox is still away; after a clean shutdown it just exits
# ("Bearerbox told us to die").  fakesmsc exits too.  To keep this deterministic, smsbox and
# fakesmsc are stopped here as well; start-bearerbox starts all three again.
cmd_stop_bearerbox() {
    local dir=${1:?usage: kannel.sh stop-bearerbox <dir>}
    pid_alive "$dir/bearerbox.pid" || die "bearerbox is not running"
    local pid; pid=$(cat "$dir/bearerbox.pid")
    kill -s "${KANNEL_STOP_SIGNAL:-KILL}" "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    rm -f "$dir/bearerbox.pid"
    kill_pidfile "$dir/smsbox.pid"
    kill_pidfile "$dir/fakesmsc.pid"
    echo "bearerbox stopped (SIG${KANNEL_STOP_SIGNAL:-KILL}); smsbox and fakesmsc with it"
}

cmd_start_bearerbox() {
    local dir=${1:?usage: kannel.sh start-bearerbox <dir>}
    dir=$(cd "$dir" && pwd)
    start_bearerbox "$dir"
    # fakesmsc exits when bearerbox goes away (and smsbox after a clean shutdown): bring them back.
    local deadline=$((SECONDS + 10))
    until curl -fsS --max-time 1 "$(status_url)" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || { tail -n 20 "$dir/bb.out" >&2; die "bearerbox did not start"; }
        sleep 0.2
    done
    pid_alive "$dir/fakesmsc.pid" || start_fakesmsc "$dir"
    if ! pid_alive "$dir/smsbox.pid"; then
        (cd "$dir" && exec "$SMSBOX" -v 1 kannel.conf >>smsbox.out 2>&1) &
        echo $! >"$dir/smsbox.pid"
    fi
    wait_online "$dir"
    echo "bearerbox started"
}

# The operator link goes down: bearerbox stays up, sendsms answers "3: Queued for later delivery".
cmd_stop_smsc() {
    local dir=${1:?usage: kannel.sh stop-smsc <dir>}
    kill_pidfile "$dir/fakesmsc.pid"
    echo "fake SMSC stopped"
}

cmd_start_smsc() {
    local dir=${1:?usage: kannel.sh start-smsc <dir>}
    dir=$(cd "$dir" && pwd)
    pid_alive "$dir/fakesmsc.pid" || start_fakesmsc "$dir"
    wait_online "$dir"
    echo "fake SMSC started"
}

cmd_mo() {
    local dir=${1:?usage: kannel.sh mo <dir> <from> <to> <text…>} from=${2:?from} to=${3:?to}
    shift 3
    [[ -p $dir/mo.fifo ]] || die "no $dir/mo.fifo: is Kannel started?"
    echo "$from $to text $*" >"$dir/mo.fifo"
}

cmd_stop() {
    local dir=${1:?usage: kannel.sh stop <dir>}
    curl -fsS --max-time 2 "http://127.0.0.1:$ADMIN_PORT/shutdown?password=$ADMIN_PASSWORD" >/dev/null 2>&1 || true
    for _ in $(seq 1 30); do
        pid_alive "$dir/bearerbox.pid" || pid_alive "$dir/smsbox.pid" || break
        sleep 0.2
    done
    for f in smsbox bearerbox fakesmsc fifo-holder; do kill_pidfile "$dir/$f.pid"; done
    echo "kannel stopped"
}

case "${1:-}" in
    start) shift; cmd_start "$@" ;;
    stop) shift; cmd_stop "$@" ;;
    stop-bearerbox) shift; cmd_stop_bearerbox "$@" ;;
    start-bearerbox) shift; cmd_start_bearerbox "$@" ;;
    stop-smsc) shift; cmd_stop_smsc "$@" ;;
    start-smsc) shift; cmd_start_smsc "$@" ;;
    mo) shift; cmd_mo "$@" ;;
    status) curl -fsS "$(status_url)" ;;
    *) sed -n '2,17p' "$0" >&2; exit 2 ;;
esac
