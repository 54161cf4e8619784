#!/usr/bin/env bash
# wrk_seal.sh: POST /v1/seal over HTTPS keep-alive with wrk and
# wrk_seal.lua, printing signbench's RESULT line (bench_stats.h), so that
# seal.sh reads both load generators alike. wrk is the lighter client
# (an event loop per thread, the body sent from one prebuilt buffer, the
# replies not copied): its rows show how much of the machine the load
# generator takes from esignd.
#
# usage: wrk_seal.sh --threads C --url URL --token-file FILE --file PDF
#                    --key KEY --seconds S
# C connections, on min(C, CPUs) wrk threads. ok = a 2xx reply (wrk
# counts the others; the bodies are checked by signbench's rows, with
# pdfsig). requests counts the completed replies; a request in flight
# when the time is up is not counted, though esignd may still seal it.
# client_cpu_ms: wrk's user+system CPU per ok reply. The server's
# certificate is not checked (wrk cannot): the URL is 127.0.0.1.
# Exit 0 if every reply was 2xx and no socket error happened, 1
# otherwise, 2 on a usage error.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
conns='' url='' tokf='' pdf='' key='' secs=''
while [ $# -gt 0 ]; do
	case $1 in
	--threads) conns=$2 ;;
	--url) url=$2 ;;
	--token-file) tokf=$2 ;;
	--file) pdf=$2 ;;
	--key) key=$2 ;;
	--seconds) secs=$2 ;;
	*) echo "wrk_seal.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift 2
done
if [ -z "$conns" ] || [ -z "$url" ] || [ ! -r "$tokf" ] || [ ! -r "$pdf" ] ||
	[ -z "$key" ] || [ -z "$secs" ]; then
	echo "usage: $0 --threads C --url URL --token-file FILE --file PDF --key KEY --seconds S" >&2
	exit 2
fi
threads=$(nproc)
[ "$conns" -ge "$threads" ] || threads=$conns
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

rc=0
TIMEFORMAT='%U %S'
{ time WRK_PDF=$pdf WRK_KEY=$key WRK_TOKEN=$(cat "$tokf") \
	wrk --latency --timeout 60s -t "$threads" -c "$conns" -d "${secs}s" \
	-s "$here/wrk_seal.lua" "$url/" >"$tmp/out" 2>"$tmp/err"; } 2>"$tmp/cpu" || rc=$?
cat "$tmp/err" >&2
if [ "$rc" -ne 0 ] || ! grep -q 'requests in' "$tmp/out"; then
	echo "wrk_seal.sh: wrk failed (exit $rc):" >&2
	cat "$tmp/out" >&2
	exit 1
fi
# wrk's durations carry a unit: us, ms, s or m
awk -v threads="$conns" -v cpu="$(tail -n 1 "$tmp/cpu")" '
function ms(v,   n) {
	n = v + 0
	if (v ~ /us$/) return n / 1000
	if (v ~ /ms$/) return n
	if (v ~ /m$/) return n * 60000
	if (v ~ /s$/) return n * 1000
	return n
}
$1 == "Latency" && NF >= 2 && mean == "" { mean = ms($2) }
$1 == "50%" { p50 = ms($2) }
$1 == "99%" { p99 = ms($2) }
/requests in/ { n = $1 + 0; sub(/,$/, "", $4); secs = ms($4) / 1000 }
/Non-2xx or 3xx responses:/ { bad += $NF }
/Socket errors:/ { for (i = 3; i <= NF; i++) { v = $i; sub(/,$/, "", v); if (v ~ /^[0-9]+$/) bad += v } }
END {
	ok = n - bad; if (ok < 0) ok = 0
	split(cpu, c, " ")
	f = "RESULT tool=wrk mode=seal threads=%d requests=%d ok=%d failures=%d"
	f = f " seconds=%.3f rps=%.1f p50_ms=%.3f p99_ms=%.3f mean_ms=%.3f"
	printf f " complete=yes client_cpu_ms=%.3f\n", threads, n, ok, bad, secs,
		(secs > 0 ? ok / secs : 0), p50, p99, mean,
		(ok > 0 ? (c[1] + c[2]) * 1000 / ok : 0)
	exit (bad > 0)
}' "$tmp/out"
