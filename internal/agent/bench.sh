#!/bin/sh
# bench.sh: the agent's numbers in docs/agent.md, at 100k secrets.
#
# 1. go test -bench for the agent's calls (get, list, prefix list, check),
#    in process, over the socket.
# 2. Whole locket processes through an unlocked agent: get, list, a prefix
#    list of 154 secrets, check; each run RUNS times (default 21), min and
#    median wall time. `pass show` of one secret beside them when pass and
#    gpg are installed (apt-get install pass).
# 3. The TUI's first frame through the agent, under tmux: from starting
#    the program to the list on the screen.
#
# Usage: internal/agent/bench.sh
# LOCKET_BENCH_DIR keeps the binary and the vault between runs.
set -eu
cd "$(dirname "$0")/../.."

work=${LOCKET_BENCH_DIR:-$(mktemp -d)}
runs=${RUNS:-21}
mkdir -p "$work"

echo "# machine"
echo "nproc: $(nproc)"
grep -m1 'model name' /proc/cpuinfo || true
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
go version

go build -o "$work/locket" .
if [ ! -e "$work/bench/vault/header" ]; then
	rm -rf "$work/bench"
	LOCKET_BENCH_VAULT="$work/bench" LOCKET_BENCH_SECRETS=100000 \
		go test ./vault -run '^TestHelperBenchVault$' -count=1 >/dev/null
fi

# A state directory of its own: copies of the benchmark vault share its id,
# and the machine's memory of the newest state would call them rolled back.
export XDG_STATE_HOME="$work/state"

echo "# go test -bench (agent in process, 100k secrets)"
LOCKET_BENCH_VAULT="$work/bench" go test ./internal/agent -run '^$' -bench . -benchmem -benchtime "${BENCHTIME:-20x}"

printf 'test passphrase' >"$work/pass"
mkdir -p "$work/run"
chmod 700 "$work/run"
export XDG_RUNTIME_DIR="$work/run" LOCKET_VAULT="$work/bench/vault" LOCKET_AGENT=on
unset LOCKET_PASSPHRASE LOCKET_PASSPHRASE_COMMAND LOCKET_PASSPHRASE_FILE LOCKET_AGENT_SOCK
"$work/locket" agent stop >/dev/null 2>&1 || true
LOCKET_PASSPHRASE_FILE="$work/pass" "$work/locket" unlock --ttl 1h
trap '"$work/locket" agent stop >/dev/null 2>&1 || true' EXIT
# The first list after an unlock loads the agent's metadata cache, and the
# first check learns the values: what a day of use looks like.
"$work/locket" list >/dev/null
"$work/locket" check >/dev/null || true

# timeit LABEL CMD...: wall time of RUNS runs, min and median.
timeit() {
	label=$1
	shift
	: >"$work/times"
	i=0
	while [ $i -lt "$runs" ]; do
		s=$(date +%s%N)
		"$@" >/dev/null 2>&1 || true
		e=$(date +%s%N)
		echo $(((e - s) / 1000)) >>"$work/times"
		i=$((i + 1))
	done
	sort -n "$work/times" | awk -v l="$label" '{a[NR]=$1} END {printf "%-34s min %7.1f ms   median %7.1f ms\n", l, a[1]/1000, a[int((NR+1)/2)]/1000}'
}

echo "# whole processes, $runs runs each"
timeit "locket get (agent, 100k)" "$work/locket" get team01/app001/secret-000001
if command -v pass >/dev/null && command -v gpg >/dev/null; then
	export GNUPGHOME="$work/gnupg" PASSWORD_STORE_DIR="$work/pass-store"
	if [ ! -d "$PASSWORD_STORE_DIR" ]; then
		mkdir -p "$GNUPGHOME"
		chmod 700 "$GNUPGHOME"
		gpg --batch --quiet --passphrase '' --quick-gen-key bench@locket.invalid default default never 2>/dev/null
		pass init bench@locket.invalid >/dev/null
		printf 'canary-value\n' | pass insert -m bench/secret >/dev/null
	fi
	pass show bench/secret >/dev/null
	timeit "pass show (same run)" pass show bench/secret
fi
timeit "locket list (100k)" "$work/locket" list
timeit "locket list team01/app00 (154)" "$work/locket" list team01/app00
timeit "locket check (100k)" "$work/locket" check

if command -v tmux >/dev/null; then
	echo "# TUI first frame through the agent, $runs runs"
	: >"$work/times"
	i=0
	while [ $i -lt "$runs" ]; do
		# A server per run: a new session on one that is still shutting
		# down fails with "server exited unexpectedly".
		sock="locket-bench-$$-$i"
		s=$(date +%s%N)
		tmux -L "$sock" new-session -d -x 120 -y 40 "env TERM=xterm-256color $work/locket"
		# The header says "0 secrets" until the list has loaded.
		until tmux -L "$sock" capture-pane -p 2>/dev/null | grep -q '100000 secrets'; do
			tmux -L "$sock" has-session 2>/dev/null || { echo "the TUI exited" >&2; exit 1; }
		done
		e=$(date +%s%N)
		tmux -L "$sock" kill-server 2>/dev/null || true
		echo $(((e - s) / 1000)) >>"$work/times"
		i=$((i + 1))
	done
	sort -n "$work/times" | awk '{a[NR]=$1} END {printf "%-34s min %7.1f ms   median %7.1f ms\n", "TUI start to list (100k)", a[1]/1000, a[int((NR+1)/2)]/1000}'
fi
