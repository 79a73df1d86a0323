#!/bin/sh
# bench.sh: whole-process memory of restoring a 100k-secret backup, the
# numbers of docs/benchmarks.md ("Backups").
#
# It builds locket (or takes LOCKET_BIN), makes a 100k-secret vault with the
# vault benchmark generator (minimum KDF), exports it to a backup encrypted
# to an age X25519 key (a passphrase backup adds age's scrypt, 256 MiB, to
# any process that opens it), then runs `locket backup import` of that file
# into a new vault (64 MiB KDF):
#   1. directly: peak RSS of the process under /usr/bin/time -v;
#   2. through an agent: peak RSS of the client the same way, and the
#      agent's peak (VmHWM in /proc/PID/status) once the import is done.
# Each is run RUNS times (default 2). `uptime` is printed before and after:
# the figures mean little without the machine's load.
#
# Usage: backup/bench.sh
# LOCKET_BENCH_DIR keeps the binary, the vault and the backup between runs
# (it can be .ci/bench.sh's directory: the vault is the same); a ready
# 100k vault can be given as LOCKET_BENCH_SOURCE (it is copied, never
# changed) with its passphrase in LOCKET_BENCH_PASS_FILE.
set -eu
cd "$(dirname "$0")/.."

work=${LOCKET_BENCH_DIR:-$(mktemp -d)}
runs=${RUNS:-2}
mkdir -p "$work"

echo "# machine"
echo "nproc: $(nproc)"
grep -m1 'model name' /proc/cpuinfo || true
go version
echo "load before: $(uptime)"

bin=${LOCKET_BIN:-}
if [ -z "$bin" ]; then
	bin="$work/locket"
	go build -o "$bin" .
fi

pass="$work/pass"
if [ -n "${LOCKET_BENCH_SOURCE:-}" ]; then
	src=$LOCKET_BENCH_SOURCE
	cp "${LOCKET_BENCH_PASS_FILE:?the passphrase of LOCKET_BENCH_SOURCE}" "$pass"
else
	src="$work/bench/vault"
	if [ ! -e "$src/header" ]; then
		rm -rf "$work/bench"
		LOCKET_BENCH_VAULT="$work/bench" LOCKET_BENCH_SECRETS=100000 \
			go test ./vault -run '^TestHelperBenchVault$' -count=1 >/dev/null
	fi
	printf 'test passphrase' >"$pass"
fi

# Every process of this script talks to its own agent socket, never to an
# agent of the user's; the agent wants its directory private.
mkdir -p "$work/run"
chmod 700 "$work/run"
export LOCKET_AGENT_SOCK="$work/run/agent.sock" LOCKET_PASSPHRASE_FILE="$pass"

backupfile="$work/100k.age"
if [ ! -e "$backupfile" ]; then
	rm -f "$work/key.txt"
	age-keygen -o "$work/key.txt" 2>/dev/null
	recipient=$(sed -n 's/^# public key: //p' "$work/key.txt")
	# Export from a copy: an export adds an audit event to its vault.
	rm -rf "$work/source"
	cp -a "$src" "$work/source"
	LOCKET_AGENT=off LOCKET_VAULT="$work/source" "$bin" backup export "$backupfile" --recipient "$recipient"
	rm -rf "$work/source"
fi
ls -l "$backupfile"

# fresh DIR: a new, empty vault at DIR.
fresh() {
	rm -rf "$1"
	LOCKET_AGENT=off LOCKET_VAULT="$1" "$bin" init --kdf-memory 64MiB >/dev/null
}

# timed LABEL ARGS...: runs locket ARGS under /usr/bin/time -v and prints
# its wall time and peak RSS.
timed() {
	label=$1
	shift
	/usr/bin/time -v "$bin" "$@" 2>"$work/time.txt" >"$work/out.txt" ||
		{ cat "$work/time.txt" "$work/out.txt"; exit 1; }
	wall=$(sed -n 's/.*Elapsed (wall clock) time.*: //p' "$work/time.txt")
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.txt")
	echo "$label: wall $wall, peak RSS $((rss / 1024)) MiB; $(tail -n 1 "$work/out.txt")"
}

i=0
while [ "$i" -lt "$runs" ]; do
	fresh "$work/dst"
	LOCKET_AGENT=off LOCKET_VAULT="$work/dst" timed "direct run $i" backup import "$backupfile" -i "$work/key.txt"

	fresh "$work/dst"
	LOCKET_VAULT="$work/dst" "$bin" unlock >/dev/null 2>&1
	pid=$(LOCKET_VAULT="$work/dst" "$bin" agent status --json | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
	before=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
	LOCKET_VAULT="$work/dst" timed "agent run $i, client" backup import "$backupfile" -i "$work/key.txt"
	hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
	echo "agent run $i, agent (pid $pid): peak RSS $((hwm / 1024)) MiB ($((before / 1024)) MiB once unlocked)"
	LOCKET_VAULT="$work/dst" "$bin" agent stop >/dev/null 2>&1
	i=$((i + 1))
done
rm -rf "$work/dst"
echo "load after: $(uptime)"
