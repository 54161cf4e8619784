#!/usr/bin/env bash
# A token behind a socket, as a network HSM is: the instance's SoftHSM2
# token served by `p11-kit server` and reached through p11-kit's client
# module (p11-kit-client.so), so that every PKCS#11 call is a round trip.
# Raw remote C_Sign (p11_baseline through the client module, 1, 2 and 4
# threads; quick: 1 and 4) against esignd's hash route and seals over
# HTTPS on the same remote token, with keeper_threads (the keeper's token
# sessions) at 1, 2, 4 and 8 (quick: 1, 2, 8): how many sessions the
# keeper needs to reach the remote rate.
# See README.md ("A remote token").
#
# usage: tests/bench/remote_token.sh [BUILD_DIR]   (default: <repo>/build)
# env:   RT_SECONDS=S   seconds per row (default 3; BENCH_QUICK=1: 1)
#        RT_PDF=FILE    default: the corpus file nearest to 20 KB
#        SIGNBENCH=PATH, P11_BASELINE=PATH  built tools (else built here)
# Exit 0 with a note when p11-kit or its client module is missing; 1 when
# a request failed or the audit log did not grow by one record per seal.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(git -C "$here" rev-parse --show-toplevel 2>/dev/null || (cd "$here/../.." && pwd))
build=$(cd "${1:-$root/build}" && pwd)
say() { echo "remote_token: $*" >&2; }
[ -x "$build/esignd" ] && [ -x "$build/cli/esignctl" ] ||
	{ echo "usage: $0 [BUILD_DIR]   (BUILD_DIR must hold esignd and cli/esignctl)" >&2; exit 2; }
client=$(ls /usr/lib/*/pkcs11/p11-kit-client.so 2>/dev/null | head -n 1 || true)
if ! command -v p11-kit >/dev/null || [ -z "$client" ]; then
	echo "remote token rows: skipped: p11-kit or p11-kit-client.so is missing (apt-get install p11-kit p11-kit-modules)"
	exit 0
fi
secs=${RT_SECONDS:-$([ "${BENCH_QUICK:-0}" = 1 ] && echo 1 || echo 3)}
if [ "${BENCH_QUICK:-0}" = 1 ]; then raws="1 4" keepers="1 2 8"; else raws="1 2 4" keepers="1 2 4 8"; fi
module=/usr/lib/softhsm/libsofthsm2.so
pdf=${RT_PDF:-$(cd "$root/tests/corpus" && for f in *.pdf; do
	case $f in bad-* | damaged-*) continue ;; esac
	echo "$(awk -v s="$(stat -c %s "$f")" 'BEGIN { r = s / 20000; if (r < 1) r = 1 / r; print r }') $f"
done | sort -g | head -n 1 | cut -d ' ' -f 2)}
[ -f "$pdf" ] || pdf=$root/tests/corpus/$pdf

work=$(mktemp -d "${TMPDIR:-/tmp}/esignd-rtbench.XXXXXX")
inst=$work/inst
dpid='' spid=''
stop_daemon() {
	[ -n "$dpid" ] || return 0
	kill -TERM "$dpid" 2>/dev/null || true
	wait "$dpid" 2>/dev/null || true
	dpid=''
}
cleanup() {
	stop_daemon
	if [ -n "$spid" ]; then
		kill -TERM "$spid" 2>/dev/null || true
		wait "$spid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cflags="-O2 -g -Wall -Wextra -Werror -pthread"
sb=${SIGNBENCH:-}
if [ -z "$sb" ]; then
	sb=$work/signbench
	# shellcheck disable=SC2046,SC2086
	cc $cflags -o "$sb" "$here/signbench.c" "$here/v2body.c" $(pkg-config --cflags --libs libcurl)
fi
pb=${P11_BASELINE:-}
if [ -z "$pb" ]; then
	pb=$work/p11_baseline
	# shellcheck disable=SC2046,SC2086
	cc $cflags -o "$pb" "$here/p11_baseline.c" $(pkg-config --cflags p11-kit-1) -ldl
fi

port=
for _ in $(seq 50); do
	p=$((20000 + RANDOM % 40000))
	if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
done
[ -n "$port" ] || { say "no free port"; exit 1; }
"$build/cli/esignctl" init --dir "$inst" --https-port "$port" >"$work/init.log" 2>&1 ||
	{ cat "$work/init.log" >&2; exit 1; }
export SOFTHSM2_CONF=$inst/softhsm2.conf

# The token behind a Unix socket; esignd and p11_baseline load the client.
p11-kit server -f -n "$work/p11.sock" --provider "$module" "pkcs11:token=esignd" \
	>"$work/server.out" 2>&1 &
spid=$!
for _ in $(seq 50); do [ -S "$work/p11.sock" ] && break; sleep 0.1; done
[ -S "$work/p11.sock" ] || { cat "$work/server.out" >&2; say "p11-kit server did not start"; exit 1; }
export P11_KIT_SERVER_ADDRESS="unix:path=$work/p11.sock"
sed -i "s|^pkcs11_module = .*|pkcs11_module = $client|" "$inst/esignd.conf"
grep -q "^pkcs11_module = $client" "$inst/esignd.conf" ||
	printf 'pkcs11_module = %s\n' "$client" >>"$inst/esignd.conf"

start_daemon() { # keeper_threads
	sed "/^keeper_threads = /d" "$inst/esignd.conf" >"$inst/rt.conf"
	printf 'keeper_threads = %s\n' "$1" >>"$inst/rt.conf"
	"$build/esignd" -c "$inst/rt.conf" -f >>"$work/esignd.log" 2>&1 &
	dpid=$!
	for _ in $(seq 100); do
		kill -0 "$dpid" 2>/dev/null || break
		[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --cacert "$inst/ca.pem" \
			"https://127.0.0.1:$port/v1/health" || true)" = 200 ] && return 0
		sleep 0.1
	done
	say "esignd did not become ready"; tail -n 20 "$work/esignd.log" >&2
	exit 1
}
audit_records() {
	curl -s --max-time 10 --unix-socket "$inst/esignd.sock" http://localhost/v1/status |
		sed -n 's/.*"audit_records":\([0-9]*\).*/\1/p'
}
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }
failed=0
declare -A R
row() { # KEY THREADS PROGRAM ARGS...
	local k=$1 t=$2 a0 a1 out n ok daemon=1
	shift 2
	[ "$1" != "$pb" ] || daemon=0
	[ "$daemon" = 0 ] || a0=$(audit_records)
	say "measuring $k"
	out=$("$@" --threads "$t" 2>"$work/$k.err") || { cat "$work/$k.err" >&2; failed=1; }
	R[$k]=$(grep '^RESULT ' <<<"$out" | tail -n 1 || true)
	[ -n "${R[$k]}" ] || { say "$k: no result"; failed=1; return 0; }
	[ "$daemon" = 1 ] || return 0
	a1=$(audit_records)
	n=$(field "${R[$k]}" requests) ok=$(field "${R[$k]}" ok)
	if [ $((a1 - a0)) -lt "$ok" ] || [ $((a1 - a0)) -gt $((n + t)) ]; then
		say "$k: $((a1 - a0)) audit records for $ok seals"
		failed=1
	fi
}

for t in $raws; do
	row "raw$t" "$t" "$pb" --module "$client" --token esignd --pin-file "$inst/pin" \
		--key demo-seal --signs 1000000 --max-seconds "$secs"
done
https=(--url "https://127.0.0.1:$port" --cacert "$inst/ca.pem" --token-file "$inst/admin.token")
for k in $keepers; do
	start_daemon "$k"
	row "hash$k" $((k * 2)) "$sb" --mode seal-hash "${https[@]}" --key demo-seal --seconds "$secs"
	row "seal$k" $((k * 2)) "$sb" --mode seal --file "$pdf" "${https[@]}" --key demo-seal --seconds "$secs"
	stop_daemon
done

best=0
for t in $raws; do
	best=$(awk -v a="$(field "${R[raw$t]:-}" rps)" -v b="$best" 'BEGIN { print (a + 0 > b + 0 ? a : b) }')
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b > 0) printf "%.2f", a / b; else print "-" }'; }
echo
echo "A remote token: SoftHSM2 through p11-kit server + p11-kit-client.so (Unix socket; ${pdf##*/}; ${secs}s each)"
printf '  %-40s %9s %9s %9s\n' "" "per s" "p50 ms" "/ raw best"
for t in $raws; do
	printf '  %-40s %9s %9s %9s\n' "raw remote C_Sign, $t thread(s)" "$(field "${R[raw$t]:-}" rps)" \
		"$(field "${R[raw$t]:-}" p50_ms)" "$(ratio "$(field "${R[raw$t]:-}" rps)" "$best")"
done
for k in $keepers; do
	printf '  %-40s %9s %9s %9s\n' "hash route, keeper_threads $k, $((k * 2)) clients" \
		"$(field "${R[hash$k]:-}" rps)" "$(field "${R[hash$k]:-}" p50_ms)" "$(ratio "$(field "${R[hash$k]:-}" rps)" "$best")"
	printf '  %-40s %9s %9s %9s\n' "seal over HTTPS, keeper_threads $k" \
		"$(field "${R[seal$k]:-}" rps)" "$(field "${R[seal$k]:-}" p50_ms)" "$(ratio "$(field "${R[seal$k]:-}" rps)" "$best")"
done
echo "  (keeper_threads is the number of token sessions the keeper signs on;"
echo "  the client threads are twice that, so every session has work queued)"
exit "$failed"
