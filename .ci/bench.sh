#!/bin/sh
# bench.sh: the benchmark numbers of docs/benchmarks.md.
#
# 1. The in-process benchmarks of vault (unlock, get, put, list at 1k, 10k
#    and 100k secrets; bulk insert of 100k), once, with -benchmem.
# 2. A whole `locket get` process against a 100k-secret vault created with
#    the minimum KDF (64 MiB, t=3), timed with /usr/bin/time -v for wall
#    time and peak RSS, and the same for `locket list`.
#
# Usage: .ci/bench.sh [go-test-bench-flags...]
# LOCKET_BENCH_DIR keeps the binary and the 100k vault between runs.
# LOCKET_BENCH_SKIP_GO=1 skips step 1.
set -eu
cd "$(dirname "$0")/.."

work=${LOCKET_BENCH_DIR:-$(mktemp -d)}
mkdir -p "$work"

echo "# machine"
echo "nproc: $(nproc)"
grep -m1 'model name' /proc/cpuinfo || true
go version

if [ "${LOCKET_BENCH_SKIP_GO:-}" != 1 ]; then
	echo "# go test -bench"
	go test ./vault -run '^$' -bench . -benchmem -benchtime "${BENCHTIME:-1s}" "$@"
fi

echo "# locket processes at 100k secrets"
go build -o "$work/locket" .
if [ ! -e "$work/bench/vault/header" ]; then
	rm -rf "$work/bench"
	LOCKET_BENCH_VAULT="$work/bench" LOCKET_BENCH_SECRETS=100000 \
		go test ./vault -run '^TestHelperBenchVault$' -count=1 >/dev/null
fi
printf 'test passphrase' >"$work/pass"
# A state directory of its own: copies of the benchmark vault share its id.
export XDG_STATE_HOME="$work/state" LOCKET_VAULT="$work/bench/vault" LOCKET_PASSPHRASE_FILE="$work/pass"
du -sh "$LOCKET_VAULT"

# measure NAME ARGS...: runs the command 5 times, prints wall time and peak RSS.
measure() {
	label=$1
	shift
	i=0
	while [ $i -lt 5 ]; do
		/usr/bin/time -v "$work/locket" "$@" 2>"$work/time.txt" >/dev/null ||
			{ cat "$work/time.txt"; exit 1; }
		wall=$(sed -n 's/.*Elapsed (wall clock) time.*: //p' "$work/time.txt")
		rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.txt")
		echo "$label run $i: wall $wall, max RSS $((rss / 1024)) MiB"
		i=$((i + 1))
	done
}
measure "locket get" get team01/app001/secret-000001
measure "locket list" list
