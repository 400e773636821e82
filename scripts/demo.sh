#!/usr/bin/env bash
# Try itango on a fresh machine: start a small real Tango system on loopback and open the shell on it.
#
#   bash scripts/demo.sh [itango arguments...]
#
# 1. installs Debian's tango-test (cppTango TangoTest) with apt if it is missing (root or sudo -n);
# 2. creates .venv with itango (`pip install -e .`) and, separately, .peers-venv with PyTango
#    10.3.1, which runs the demo database only (itango itself never imports PyTango);
# 3. starts PyTango's database server (fresh sqlite file) + TangoTest (sys/tg_test/1) on a free
#    127.0.0.1 port, using the same code as the test fixtures (tests/peers.py);
# 4. runs .venv/bin/itango with TANGO_HOST pointing at it; when the shell exits (or this script is
#    interrupted), the peers are stopped by their PID.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
log() { echo "[demo] $*" >&2; }

PYTHON=${PYTHON:-python3}
PYTANGO_VERSION=10.3.1

# --- 1. Debian packages -------------------------------------------------------------------------
if [[ ! -x /usr/lib/tango/TangoTest ]] || ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
    SUDO=()
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null || { log "need root (or sudo) to apt-get install tango-test python3-venv"; exit 1; }
        SUDO=(sudo -n)
    fi
    log "apt-get install tango-test python3-venv"
    export DEBIAN_FRONTEND=noninteractive
    "${SUDO[@]}" apt-get update -qq
    "${SUDO[@]}" apt-get install -y -qq --no-install-recommends tango-test python3-venv </dev/null >&2
fi

# --- 2. the shell's venv and the peers' venv -------------------------------------------------------
if [[ ! -x .venv/bin/itango || pyproject.toml -nt .venv/.itango-installed ]]; then
    [[ -x .venv/bin/python ]] || "$PYTHON" -m venv .venv
    log "pip install -e . (into .venv)"
    .venv/bin/pip install -q --disable-pip-version-check -e . </dev/null
    touch .venv/.itango-installed
fi
if ! .peers-venv/bin/python -c "import tango; assert tango.__version__ == '$PYTANGO_VERSION'" 2>/dev/null; then
    [[ -x .peers-venv/bin/python ]] || "$PYTHON" -m venv .peers-venv
    log "pip install pytango==$PYTANGO_VERSION (into .peers-venv: demo peers only)"
    .peers-venv/bin/pip install -q --disable-pip-version-check "pytango==$PYTANGO_VERSION" </dev/null
fi

# --- 3. the demo control system ----------------------------------------------------------------------
RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/itango-demo.XXXXXX")
PEERS_PID=
cleanup() {
    if [[ -n $PEERS_PID ]] && kill -0 "$PEERS_PID" 2>/dev/null; then
        kill -TERM "$PEERS_PID" 2>/dev/null || true   # the supervisor stops DB + TangoTest by PID
        wait "$PEERS_PID" 2>/dev/null || true
    fi
    rm -rf "$RUN_DIR"
}
trap cleanup EXIT
trap 'exit 143' TERM HUP   # (SIGINT keeps bash's default: Ctrl-C belongs to the shell)

# setsid: Ctrl-C in the shell must reach itango only, not the peers' supervisor;
# setpriv --pdeathsig: if this script is killed outright, the supervisor still stops the peers.
setsid setpriv --pdeathsig TERM -- .peers-venv/bin/python tests/peers.py system --ready-file "$RUN_DIR/ready" --log-dir "$RUN_DIR" \
    >"$RUN_DIR/supervisor.log" 2>&1 </dev/null &
PEERS_PID=$!
log "starting PyTango database + TangoTest (logs in $RUN_DIR)"
for _ in $(seq 1 600); do   # poll for readiness, up to 60 s
    [[ -s $RUN_DIR/ready ]] && break
    kill -0 "$PEERS_PID" 2>/dev/null || break
    sleep 0.1
done
ready=$(cat "$RUN_DIR/ready" 2>/dev/null || true)
if [[ $ready != TANGO_HOST=* ]]; then
    log "the demo peers did not start:"; cat "$RUN_DIR/supervisor.log" >&2; exit 1
fi
export "${ready?}"
log "$ready (sys/tg_test/1 is a TangoTest device); exit the shell to stop it"

# --- 4. the shell --------------------------------------------------------------------------------------
rc=0
.venv/bin/itango "$@" || rc=$?
exit "$rc"
