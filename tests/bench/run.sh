#!/usr/bin/env bash
# esignd signing and sealing benchmark: raw C_Sign on the token versus
# the daemon (raw signatures, PDF seals over HTTPS and the Unix socket, the
# hash-only route) and versus the PDFBox peer, in the same run, on the
# same machine, token and key. See README.md. The sealing half is
# seal.sh, sourced from here.
#
# usage: tests/bench/run.sh [BUILD_DIR]     (default: <repo>/build)
# env:   BENCH_QUICK=1   small sizes for CI (about 3 min with the key-type,
#                        remote-token and PostgreSQL rows), one round
#        BENCH_ROUNDS=K  rounds per signing measurement, best kept
#                        (default 2; the sealing rows run once)
#        BENCH_SEAL_SECONDS=S  seconds per sealing row (default 4, quick 1)
#        BENCH_PDFS="A B C"  the documents to seal (default: the corpus
#                        files nearest to 20 KB, 140 KB and 2 MB)
#        BENCH_LARGE_MB=N  size of the generated large document sealed
#                        once at the end (default 1024, quick 256; 0: none)
#        BENCH_KEYTYPES=0  without the RSA-3072 and P-256 rows (keytypes.sh)
#        BENCH_REMOTE=0  without the remote token rows (remote_token.sh)
#        BENCH_PG=0      without the PostgreSQL store row (pg_store.sh)
#        TMPDIR          where the throw-away instance (token, LMDB) goes;
#                        its filesystem decides what an fsync costs
#
# It reports, it does not judge speed. Exit status: 0 when every request
# of every measurement got its expected answer and left its audit record,
# 1 when one did not or the instance could not be set up, 2 on a usage
# error.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(git -C "$here" rev-parse --show-toplevel 2>/dev/null ||
	(cd "$here/../.." && pwd))
build=${1:-$root/build}
if [ $# -gt 1 ] || [ ! -x "$build/esignd" ] || [ ! -x "$build/cli/esignctl" ]; then
	echo "usage: $0 [BUILD_DIR]   (BUILD_DIR must hold esignd and cli/esignctl;" >&2
	echo "       build them with: meson setup build && ninja -C build)" >&2
	exit 2
fi
build=$(cd "$build" && pwd)
module=/usr/lib/softhsm/libsofthsm2.so
key=demo-seal

# Sizes are totals per measurement, split over its threads. max_s caps a
# single measurement (a slow disk must not make it run for ever); a capped
# one still reports a valid rate and is marked in the table.
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	size=quick raw_n=400 unix_n=300 https_n=1000 max_s=6 rounds=1
else
	size=default raw_n=6000 unix_n=4000 https_n=20000 max_s=30 rounds=2
fi
# Each measurement is repeated `rounds` times and the best rate kept:
# on a shared machine a neighbour's burst only ever slows a run down.
rounds=${BENCH_ROUNDS:-$rounds}
case $rounds in
[1-9]) ;;
*) echo "bench: BENCH_ROUNDS must be 1 to 9" >&2; exit 2 ;;
esac

for tool in cc pkg-config curl; do
	command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 1; }
done

say() { echo "bench: $*" >&2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/esignd-bench.XXXXXX")
inst=$work/inst
dpid=
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
	local rc=$? kids
	if [ -n "$dpid" ] && kill -0 "$dpid" 2>/dev/null; then
		kill -TERM "$dpid" 2>/dev/null || true
		for _ in $(seq 100); do
			kill -0 "$dpid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$dpid" 2>/dev/null; then
			say "esignd did not stop on SIGTERM; killing it and its children"
			kids=$(pgrep -P "$dpid" || true)
			# shellcheck disable=SC2086  # a list of pids
			kill -KILL $kids "$dpid" 2>/dev/null || true
		fi
		wait "$dpid" 2>/dev/null || true
	fi
	if [ "$rc" -ne 0 ] && [ -s "$work/esignd.log" ]; then
		echo "bench: last lines of the daemon's log:" >&2
		tail -n 20 "$work/esignd.log" >&2
	fi
	rm -rf "$work"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# --- build the load generator and the raw baseline (never through meson)
cflags="-O2 -g -Wall -Wextra -Werror -pthread"
# shellcheck disable=SC2046,SC2086
cc $cflags -o "$work/signbench" "$here/signbench.c" "$here/v2body.c" \
	$(pkg-config --cflags --libs libcurl)
# shellcheck disable=SC2046,SC2086
cc $cflags -o "$work/p11_baseline" "$here/p11_baseline.c" \
	$(pkg-config --cflags p11-kit-1) -ldl

# --- a fresh instance on a free port
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=
for _ in $(seq 50); do
	p=$((20000 + RANDOM % 40000))
	if port_free "$p"; then port=$p; break; fi
done
[ -n "$port" ] || { say "no free port found"; exit 1; }
say "creating an instance in $inst (HTTPS port $port)"
"$build/cli/esignctl" init --dir "$inst" --https-port "$port" >"$work/init.log" 2>&1 ||
	{ cat "$work/init.log" >&2; exit 1; }
export SOFTHSM2_CONF=$inst/softhsm2.conf

ucurl() { curl -s --max-time 10 --unix-socket "$inst/esignd.sock" "http://localhost$1"; }
# One seal code covers every seal of the seal-code rows (seal.sh); the
# large document needs a larger body limit.
printf 'seal_code_max_documents = 1000000\n' >>"$inst/esignd.conf"
# The BSrE v2 rows are compared with the native /v1/seal at B-B: one
# token signature and one audit record per document (at the default
# bsre_level B-T each v2 document also gets a timestamp from the token's
# TSA key: a second signature and record).
printf 'bsre_level = B-B\n' >>"$inst/esignd.conf"
large_mb=${BENCH_LARGE_MB:-$([ "$size" = quick ] && echo 256 || echo 1024)}
[ "$large_mb" -le 0 ] ||
	sed -i "s/^max_body = .*/max_body = $(((large_mb + 64) << 20))/" "$inst/esignd.conf"
"$build/esignd" -c "$inst/esignd.conf" -f >"$work/esignd.log" 2>&1 &
dpid=$!
ready=0
for _ in $(seq 100); do
	kill -0 "$dpid" 2>/dev/null || break
	if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --cacert "$inst/ca.pem" \
		"https://127.0.0.1:$port/v1/health" || true)" = 200 ] &&
		[ -n "$(ucurl /v1/health || true)" ]; then
		ready=1
		break
	fi
	sleep 0.1
done
[ "$ready" = 1 ] || { say "esignd did not become ready"; exit 1; }
channels=$(sed -n 's/.*keeper: ready, \([0-9]*\) channels.*/\1/p' "$work/esignd.log" | tail -n 1)

# --- what the machine gives: CPUs, filesystem of the state, fsync cost
ncpu=$(nproc)
fstype=$(df -PT "$inst/state" | awk 'NR == 2 { print $2 }')
load=$(cut -d ' ' -f 1-3 /proc/loadavg)
fsync_ms=$(
	dd if=/dev/zero of="$inst/state/fsync-probe" bs=4096 count=200 oflag=dsync 2>&1 |
		awk '/copied/ { for (i = 1; i <= NF; i++) if ($i == "s,") printf "%.3f", $(i - 1) * 1000 / 200 }'
)
rm -f "$inst/state/fsync-probe"

# --- measurements
declare -A R                # key -> best RESULT line so far
failed=0
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }
rate() { field "${R[$1]:-}" rps; }

# measure KEY DESCRIPTION COMMAND...: runs a tool that prints a RESULT
# line; keeps it in R[KEY] if its rate beats the one there, and then sets
# kept=1 (else kept=0).
kept=0 round=
measure() {
	local key=$1 what=$2 out rc=0 line
	shift 2
	kept=0
	say "measuring $what${round:+ (round $round of $rounds)}"
	out=$("$@" 2>"$work/$key.err") || rc=$?
	line=$(grep '^RESULT ' <<<"$out" | tail -n 1 || true)
	if [ -z "$line" ]; then
		say "$what: no result"
		sed 's/^/    /' "$work/$key.err" >&2
		failed=1
		return 0
	fi
	if awk -v a="$(field "$line" rps)" -v b="$(field "${R[$key]:-}" rps)" \
		'BEGIN { exit !(b == "" || a + 0 > b + 0) }'; then
		R[$key]=$line
		kept=1
	fi
	if [ "$rc" -ne 0 ]; then
		say "$what: some requests failed:"
		failed=1
	fi
	sed 's/^/    /' "$work/$key.err" >&2
}

metric() { ucurl /metrics | awk -v m="$1" '$1 == m { print $2 }'; }
audit_records() { ucurl /v1/status | sed -n 's/.*"audit_records":\([0-9]*\).*/\1/p'; }

raw() {
	measure "raw$1" "raw C_Sign, $1 thread(s)" \
		"$work/p11_baseline" --module "$module" --token esignd \
		--pin-file "$inst/pin" --key "$key" --threads "$1" \
		--signs $((raw_n / $1)) --max-seconds "$max_s"
}

declare -A KEEPER AUDIT
unix_sign() {
	local t=$1 s0 s1 c0 c1 a0 a1
	s0=$(metric esignd_sign_seconds_sum) c0=$(metric esignd_sign_seconds_count)
	a0=$(audit_records)
	measure "unix$t" "daemon sign over the Unix socket, $t thread(s)" \
		"$work/signbench" --mode unix-sign --socket "$inst/esignd.sock" \
		--key "$key" --threads "$t" --requests $((unix_n / t)) \
		--max-seconds "$max_s"
	s1=$(metric esignd_sign_seconds_sum) c1=$(metric esignd_sign_seconds_count)
	a1=$(audit_records)
	local keeper audit
	keeper=$(awk -v s0="$s0" -v s1="$s1" -v c0="$c0" -v c1="$c1" \
		'BEGIN { if (c1 > c0) printf "%.3f", (s1 - s0) * 1000 / (c1 - c0); else print "-" }')
	audit="? ?"
	if [ -n "$a0" ] && [ -n "$a1" ] && [ -n "$c0" ] && [ -n "$c1" ]; then
		audit="$((a1 - a0)) $(awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }')"
		# Every signature the keeper was asked for leaves one record.
		if [ "${audit% *}" != "${audit#* }" ]; then
			say "unix sign, $t thread(s): ${audit% *} audit records for ${audit#* } signatures"
			failed=1
		fi
	fi
	if [ "$kept" = 1 ]; then
		KEEPER[$t]=$keeper
		AUDIT[$t]=$audit
	fi
}

https_status() {
	measure "https$1" "daemon GET /v1/status over HTTPS, $1 thread(s)" \
		"$work/signbench" --mode https-status --url "https://127.0.0.1:$port" \
		--cacert "$inst/ca.pem" --token-file "$inst/admin.token" \
		--threads "$1" --requests $((https_n / $1)) --max-seconds "$max_s"
}

# Each daemon figure right after the raw one it is divided by, so that
# both see the same background load on a shared machine.
for round in $(seq "$rounds"); do
	raw 1
	unix_sign 1
	raw 2
	unix_sign 2
	unix_sign 4
	https_status 1
	https_status 4
done
round=

# --- sealing: the same instance, after the signing rows (seal.sh)
# shellcheck source=tests/bench/seal.sh
. "$here/seal.sh"
seal_measure

# --- report
row() {  # row LABEL KEY
	local line=${R[$2]:-} mark=
	if [ -z "$line" ]; then
		printf '%-44s %7s  %s\n' "$1" "-" "no result (see above)"
		return
	fi
	[ "$(field "$line" complete)" = yes ] || mark=" (capped at ${max_s}s)"
	printf '%-44s %7s %9s %9s %10s %8s %8s%s\n' "$1" \
		"$(field "$line" threads)" "$(field "$line" requests)" \
		"$(field "$line" failures)" "$(field "$line" rps)" \
		"$(field "$line" p50_ms)" "$(field "$line" p99_ms)" "$mark"
}
ratio() {  # ratio NUM DEN -> "0.53" or "-"
	awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b != "" && b > 0) printf "%.2f", a / b; else print "-" }'
}

echo
echo "esignd signing benchmark ($size sizes, best of $rounds round(s)), $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: $ncpu CPUs, load average before the run $load; keeper channels: ${channels:-?}"
echo "token: SoftHSM2, key $key (RSA-2048), rsa-pkcs1/sha256"
echo "state dir: $fstype; synchronous 4 KiB write (dd oflag=dsync): ${fsync_ms:-?} ms"
echo
printf '%-44s %7s %9s %9s %10s %8s %8s\n' "measurement" "threads" "requests" \
	"failures" "req/s" "p50 ms" "p99 ms"
row "raw C_Sign (p11_baseline, in process)" raw1
row "raw C_Sign (p11_baseline, in process)" raw2
row "daemon sign, Unix socket, keep-alive" unix1
row "daemon sign, Unix socket, keep-alive" unix2
row "daemon sign, Unix socket, keep-alive" unix4
row "daemon GET /v1/status, HTTPS keep-alive" https1
row "daemon GET /v1/status, HTTPS keep-alive" https4

echo
echo "ratio daemon unix sign / raw C_Sign (same thread count):"
printf '  1 thread    %s   (%s / %s signatures/s)\n' \
	"$(ratio "$(rate unix1)" "$(rate raw1)")" "$(rate unix1)" "$(rate raw1)"
printf '  2 threads   %s   (%s / %s signatures/s)\n' \
	"$(ratio "$(rate unix2)" "$(rate raw2)")" "$(rate unix2)" "$(rate raw2)"
printf '  4 threads   %s   (%s / %s signatures/s; raw is measured with 1 and 2\n' \
	"$(ratio "$(rate unix4)" "$(rate raw2)")" "$(rate unix4)" "$(rate raw2)"
echo "              threads, so this one is against raw with 2: the token's ceiling on $ncpu CPUs)"

echo
echo "where a daemon signature's time goes (mean per signature, ms):"
printf '  %-8s %12s %13s %12s %16s\n' "threads" "client" "keeper trip" "raw C_Sign" "audit records"
for t in 1 2 4; do
	read -r na ns <<<"${AUDIT[$t]}"
	if [ "$na" = "?" ]; then
		audit="unknown"
	elif [ "$na" = "$ns" ]; then
		audit="+$na, 1/sign"
	else
		audit="+$na for $ns"
	fi
	rk=raw$t
	[ "$t" -le 2 ] || rk=raw2
	printf '  %-8s %12s %13s %12s %16s\n' "$t" "$(field "${R[unix$t]:-}" mean_ms)" \
		"${KEEPER[$t]}" "$(field "${R[$rk]:-}" mean_ms)" "$audit"
done
echo "  client: what signbench waited for one reply; keeper trip: front -> keeper"
echo "  -> front, i.e. queueing for a keeper channel, C_Sign and the audit"
echo "  record's LMDB commit with its fsyncs (esignd_sign_seconds in /metrics);"
echo "  client minus keeper trip is HTTP, JSON and the front; keeper trip minus"
echo "  raw C_Sign is mostly the audit commit. Audit records count warm-ups too."

echo
echo "note: raw signing is a Unix-socket-only admin route by design; over HTTPS"
echo "      signing is measured as sealing (below)."
seal_report
# RSA-3072 and ECDSA P-256 beside RSA-2048, a remote token, and the
# PostgreSQL store against LMDB: each on its own instance (keytypes.sh,
# remote_token.sh, pg_store.sh; BENCH_KEYTYPES=0, BENCH_REMOTE=0,
# BENCH_PG=0 leave them out).
for extra in KEYTYPES:keytypes REMOTE:remote_token PG:pg_store; do
	flag=BENCH_${extra%%:*}
	[ "${!flag:-1}" != 0 ] || continue
	echo
	SIGNBENCH=$work/signbench P11_BASELINE=$work/p11_baseline \
		"$here/${extra#*:}.sh" "$build" || failed=1
done
exit "$failed"
