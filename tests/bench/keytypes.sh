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
. "$(dirname "$0")/common.sh" keytypes "${1:-}"
secs=${KT_SECONDS:-$([ "${BENCH_QUICK:-0}" = 1 ] && echo 1 || echo 4)}
ncpu=$(nproc)
pdf=$(nearest_pdf "${KT_PDF:-}")
tools
init_instance
start_daemon || exit 1
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
