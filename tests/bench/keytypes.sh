#!/usr/bin/env bash
# Seals against raw C_Sign for three key types on the same token: the
# RSA-2048 demo seal, and an RSA-3072 and an ECDSA P-256 seal key made in
# the run (esignctl keys generate, keys csr, a throw-away openssl CA,
# keys import --purpose seal: docs/ra.md "External CA"). Per key: raw
# C_Sign (p11_baseline, one thread per CPU), seals of one PDF over HTTPS
# and the hash route (/v1/seal/hash), two client threads per CPU. The
# cheaper the signature, the more the ratio shows the work around it.
# See README.md ("Key types").
#
# usage: tests/bench/keytypes.sh [BUILD_DIR]   (default: <repo>/build)
# env:   KT_SECONDS=S   seconds per row (default 4; BENCH_QUICK=1: 1)
#        KT_PDF=FILE    default: the corpus file nearest to 20 KB
#        SIGNBENCH=PATH, P11_BASELINE=PATH  built tools (else built here)
# Exit 1 when a request failed, the audit log did not grow by one record
# per seal, or a sealed PDF does not verify with pdfsig.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(git -C "$here" rev-parse --show-toplevel 2>/dev/null || (cd "$here/../.." && pwd))
build=$(cd "${1:-$root/build}" && pwd)
say() { echo "keytypes: $*" >&2; }
[ -x "$build/esignd" ] && [ -x "$build/cli/esignctl" ] ||
	{ echo "usage: $0 [BUILD_DIR]   (BUILD_DIR must hold esignd and cli/esignctl)" >&2; exit 2; }
secs=${KT_SECONDS:-$([ "${BENCH_QUICK:-0}" = 1 ] && echo 1 || echo 4)}
ncpu=$(nproc)
module=/usr/lib/softhsm/libsofthsm2.so
pdf=${KT_PDF:-$(cd "$root/tests/corpus" && for f in *.pdf; do
	case $f in bad-* | damaged-*) continue ;; esac
	echo "$(awk -v s="$(stat -c %s "$f")" 'BEGIN { r = s / 20000; if (r < 1) r = 1 / r; print r }') $f"
done | sort -g | head -n 1 | cut -d ' ' -f 2)}
[ -f "$pdf" ] || pdf=$root/tests/corpus/$pdf

work=$(mktemp -d "${TMPDIR:-/tmp}/esignd-ktbench.XXXXXX")
inst=$work/inst
dpid=''
cleanup() {
	if [ -n "$dpid" ]; then
		kill -TERM "$dpid" 2>/dev/null || true
		wait "$dpid" 2>/dev/null || true
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
"$build/esignd" -c "$inst/esignd.conf" -f >"$work/esignd.log" 2>&1 &
dpid=$!
ready=0
for _ in $(seq 100); do
	kill -0 "$dpid" 2>/dev/null || break
	if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --cacert "$inst/ca.pem" \
		"https://127.0.0.1:$port/v1/health" || true)" = 200 ]; then ready=1; break; fi
	sleep 0.1
done
[ "$ready" = 1 ] || { say "esignd did not become ready"; tail -n 20 "$work/esignd.log" >&2; exit 1; }
ctl="$build/cli/esignctl -c $inst/esignd.conf"

# A throw-away CA certifies the two extra seal keys.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/ca.key" -out "$work/ca.pem" \
	-subj "/CN=esignd bench root" -days 2 -addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
printf 'keyUsage=critical,nonRepudiation,digitalSignature\n' >"$work/ee.ext"
for t in rsa3072 ec-p256; do
	$ctl keys generate --label "bench-$t" --type "$t" >/dev/null
	$ctl keys csr --label "bench-$t" --subject "/C=ID/O=Bench/CN=Bench $t seal" >"$work/$t.csr"
	openssl x509 -req -in "$work/$t.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" \
		-CAcreateserial -days 2 -extfile "$work/ee.ext" -out "$work/$t.pem" 2>/dev/null
	$ctl keys import --label "bench-$t" --cert "$work/$t.pem" --chain "$work/ca.pem" \
		--purpose seal >/dev/null
done

audit_records() {
	curl -s --max-time 10 --unix-socket "$inst/esignd.sock" http://localhost/v1/status |
		sed -n 's/.*"audit_records":\([0-9]*\).*/\1/p'
}
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }
failed=0
declare -A R
# row KEY THREADS PROGRAM ARGS...: RESULT line into R[KEY]; a daemon row
# (signbench) must add one audit record per ok request (warm-ups: one per
# thread).
row() {
	local k=$1 t=$2 a0 a1 out n ok
	shift 2
	a0=$(audit_records)
	say "measuring $k"
	out=$("$@" --threads "$t" 2>"$work/$k.err") || { cat "$work/$k.err" >&2; failed=1; }
	a1=$(audit_records)
	R[$k]=$(grep '^RESULT ' <<<"$out" | tail -n 1 || true)
	[ -n "${R[$k]}" ] || { say "$k: no result"; failed=1; return 0; }
	[ "$1" = "$pb" ] && return 0
	n=$(field "${R[$k]}" requests) ok=$(field "${R[$k]}" ok)
	if [ $((a1 - a0)) -lt "$ok" ] || [ $((a1 - a0)) -gt $((n + t)) ]; then
		say "$k: $((a1 - a0)) audit records for $ok seals"
		failed=1
	fi
}
https=(--url "https://127.0.0.1:$port" --cacert "$inst/ca.pem" --token-file "$inst/admin.token")
labels=(demo-seal bench-rsa3072 bench-ec-p256)
names=("RSA-2048" "RSA-3072" "ECDSA P-256")
for l in "${labels[@]}"; do
	row "raw.$l" "$ncpu" "$pb" --module "$module" --token esignd --pin-file "$inst/pin" \
		--key "$l" --signs 1000000 --max-seconds "$secs"
	row "seal.$l" $((ncpu * 2)) "$sb" --mode seal --file "$pdf" "${https[@]}" --key "$l" \
		--seconds "$secs" --save "$work/sealed.$l.pdf"
	row "hash.$l" $((ncpu * 2)) "$sb" --mode seal-hash "${https[@]}" --key "$l" --seconds "$secs"
	if command -v pdfsig >/dev/null && [ -s "$work/sealed.$l.pdf" ] &&
		! pdfsig "$work/sealed.$l.pdf" 2>&1 | grep -q 'Signature is Valid'; then
		say "the PDF sealed with $l does not verify (pdfsig)"
		failed=1
	fi
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b > 0) printf "%.2f", a / b; else print "-" }'; }
echo
echo "Key types on the same token (${pdf##*/} over HTTPS; raw: $ncpu threads, esignd: $((ncpu * 2)); ${secs}s each)"
printf '  %-12s %11s %11s %11s %11s %11s %9s\n' "key" "raw/s" "raw CPU ms" "seal/s" "hash/s" "seal / raw" "hash / raw"
for i in "${!labels[@]}"; do
	l=${labels[$i]}
	rr=$(field "${R[raw.$l]:-}" rps) sr=$(field "${R[seal.$l]:-}" rps) hr=$(field "${R[hash.$l]:-}" rps)
	printf '  %-12s %11s %11s %11s %11s %11s %9s\n' "${names[$i]}" "$rr" \
		"$(field "${R[raw.$l]:-}" client_cpu_ms)" "$sr" "$hr" "$(ratio "$sr" "$rr")" "$(ratio "$hr" "$rr")"
done
echo "  (raw CPU ms: p11_baseline's CPU per signature, the token's own for a software"
echo "  token; the seal and hash rows of each key are one seal per audit record)"
exit "$failed"
