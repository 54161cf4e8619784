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
. "$(dirname "$0")/common.sh" remote_token "${1:-}"
client=$(ls /usr/lib/*/pkcs11/p11-kit-client.so 2>/dev/null | head -n 1 || true)
if ! command -v p11-kit >/dev/null || [ -z "$client" ]; then
	echo "remote token rows: skipped: p11-kit or p11-kit-client.so is missing (apt-get install p11-kit p11-kit-modules)"
	exit 0
fi
secs=${RT_SECONDS:-$([ "${BENCH_QUICK:-0}" = 1 ] && echo 1 || echo 3)}
if [ "${BENCH_QUICK:-0}" = 1 ]; then raws="1 4" keepers="1 2 8"; else raws="1 2 4" keepers="1 2 4 8"; fi
pdf=$(nearest_pdf "${RT_PDF:-}")
tools
init_instance

# The token behind a Unix socket; esignd and p11_baseline load the client.
p11-kit server -f -n "$work/p11.sock" --provider "$module" "pkcs11:token=esignd" \
	>"$work/server.out" 2>&1 &
bench_on_exit "kill -TERM $! 2>/dev/null; wait $! 2>/dev/null"
for _ in $(seq 50); do [ -S "$work/p11.sock" ] && break; sleep 0.1; done
[ -S "$work/p11.sock" ] || { cat "$work/server.out" >&2; say "p11-kit server did not start"; exit 1; }
export P11_KIT_SERVER_ADDRESS="unix:path=$work/p11.sock"
sed -i "s|^pkcs11_module = .*|pkcs11_module = $client|" "$inst/esignd.conf"
grep -q "^pkcs11_module = $client" "$inst/esignd.conf" ||
	printf 'pkcs11_module = %s\n' "$client" >>"$inst/esignd.conf"

# start_with KEEPER_THREADS: the daemon with that many token sessions.
start_with() {
	sed "/^keeper_threads = /d" "$inst/esignd.conf" >"$inst/rt.conf"
	printf 'keeper_threads = %s\n' "$1" >>"$inst/rt.conf"
	start_daemon "$inst/rt.conf" || exit 1
}

for t in $raws; do
	row "raw$t" "$t" "$pb" --module "$client" --token esignd --pin-file "$inst/pin" \
		--key demo-seal --signs 1000000 --max-seconds "$secs"
done
https=(--url "https://127.0.0.1:$port" --cacert "$inst/ca.pem" --token-file "$inst/admin.token")
for k in $keepers; do
	start_with "$k"
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
