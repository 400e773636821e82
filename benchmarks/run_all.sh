#!/usr/bin/env bash
# Run the benchmarks RUNS times each (and, with --profile, cProfile the client calls that
# miss their targets), saving every output with the machine's load next to it.
#
#   bash benchmarks/run_all.sh [--runs N] [--out DIR] [--profile] [--only "codec client ..."]
#
# Environment: PYTHON (default .venv/bin/python: a venv with `pip install -e '.[test]'`, i.e.
# PyTango 10.3.1 as the reference client/peer); ITANGO_REF_VENV (a *separate* venv holding
# ITango 0.3.0 for benchmarks/shell.py; without it shell.py makes one under $TMPDIR with pip).
# Never install itango==0.3.0 into the project's venv: it has the same distribution name.
# Each benchmark starts and stops its own peers (PyTango DB, Debian TangoTest, PyTango server).
set -u
cd "$(dirname "$0")/.."

PY=${PYTHON:-.venv/bin/python}
RUNS=2
OUT=""
PROFILE=0
ONLY="codec client events server_events server green databaseds shell"
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) RUNS=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        --profile) PROFILE=1; shift ;;
        --only) ONLY=$2; shift 2 ;;
        -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
[ -x "$PY" ] || { echo "no python at $PY (set PYTHON=...)" >&2; exit 2; }
OUT=${OUT:-${TMPDIR:-/tmp}/itango-bench-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"

{
    echo "date:    $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "host:    $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GB RAM"
    echo "os:      $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
    echo "python:  $("$PY" -c 'import sys, numpy, zmq, IPython; print(sys.version.split()[0], "numpy", numpy.__version__, "pyzmq", zmq.__version__, "IPython", IPython.__version__)')"
    echo "pytango: $("$PY" -c 'import tango; print(tango.__version__)' 2>/dev/null || echo missing)"
    if git rev-parse --git-dir > /dev/null 2>&1; then
        echo "commit:  $(git rev-parse --short HEAD) ($(git status --porcelain tango_core itango | wc -l) uncommitted files in tango_core/ itango/)"
    else
        echo "commit:  $(cat COMMIT 2>/dev/null || echo 'unknown (not a git checkout)')"
    fi
    echo "load:    $(uptime)"
} > "$OUT/machine.txt"
cat "$OUT/machine.txt"

run() {  # run NAME I ARGS...: one benchmark run, output (with load before/after) to OUT/NAME-I.txt
    local name=$1 i=$2; shift 2
    local file="$OUT/$name-$i.txt"
    echo "== $name run $i -> $file"
    {
        echo "# load before: $(uptime)"
        "$PY" "benchmarks/$name.py" "$@" 2>&1
        echo "# exit status: $?"
        echo "# load after:  $(uptime)"
    } > "$file"
    grep -v '^#' "$file" | tail -n 25
}

for i in $(seq 1 "$RUNS"); do
    for name in $ONLY; do
        case "$name" in
            shell) run shell "$i" ${ITANGO_REF_VENV:+--ref-venv "$ITANGO_REF_VENV"} --json "$OUT/shell-$i.json" ;;
            *) run "$name" "$i" ;;
        esac
    done
done

[ "$PROFILE" = 1 ] || exit 0

# -- cProfile of the client calls (scalar read, image read, state) on a running TangoTest -------
READY="$OUT/peers.ready"
"$PY" tests/peers.py system --ready-file "$READY" > "$OUT/peers.log" 2>&1 &
PEERS_PID=$!
trap 'kill "$PEERS_PID" 2>/dev/null; wait "$PEERS_PID" 2>/dev/null' EXIT
for _ in $(seq 1 300); do [ -s "$READY" ] && break; sleep 0.1; done
grep -q '^TANGO_HOST=' "$READY" 2>/dev/null || { echo "peers did not start: $(cat "$READY" "$OUT/peers.log" 2>/dev/null)" >&2; exit 1; }
export TANGO_HOST=$(sed -n 's/^TANGO_HOST=//p' "$READY")

LOOP="$OUT/profile_loop.py"
cat > "$LOOP" <<'EOF'
"""A loop of one call on sys/tg_test/1 with tango_core or PyTango (first argument: tango_core or
tango): wall and client CPU per call, and what `python -m cProfile -s cumtime` profiles."""
import importlib
import sys
import time

sys.path.insert(0, ".")
library, what, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
dev = importlib.import_module(library).DeviceProxy("sys/tg_test/1")
call = {"state": dev.state,
        "scalar": lambda: dev.read_attribute("double_scalar"),
        "image": lambda: dev.read_attribute("double_image_ro"),
        "command": lambda: dev.command_inout("DevDouble", 1.5)}[what]
call()
w0, c0 = time.perf_counter(), time.process_time()
for _ in range(n):
    call()
w1, c1 = time.perf_counter(), time.process_time()
label = "PyTango " if library == "tango" else ""
print(f"{label}{what}: {n} calls, wall {(w1 - w0) / n * 1e6:.1f} us/call, client CPU {(c1 - c0) / n * 1e6:.1f} us/call",
      file=sys.stderr)
EOF
for spec in "scalar 20000" "image 3000" "state 20000"; do
    set -- $spec
    echo "== cProfile $1 -> $OUT/profile-$1.txt"
    {
        "$PY" "$LOOP" tango_core "$1" "$2" 2>&1 | sed 's/^/tango_core (no profiler) /'
        "$PY" "$LOOP" tango "$1" "$2" 2>&1
        echo; echo "## python -m cProfile -s cumtime profile_loop.py tango_core $1 $2"
        "$PY" -m cProfile -s cumtime "$LOOP" tango_core "$1" "$2" 2>&1 | head -n 50
        echo; echo "## python -m cProfile -s tottime profile_loop.py tango_core $1 $2"
        "$PY" -m cProfile -s tottime "$LOOP" tango_core "$1" "$2" 2>&1 | head -n 30
    } > "$OUT/profile-$1.txt"
    head -n 40 "$OUT/profile-$1.txt"
done
