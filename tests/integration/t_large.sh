#!/usr/bin/env bash
# Large documents: a generated PDF of ESD_LARGE_MB megabytes (default
# 200; tests/bench/run.sh uses 1024) is sealed over HTTPS (B-B) and over
# the Unix socket (B-LTA) and verified, while the front's peak memory
# (VmHWM) must stay within 32 MiB of its idle size: uploads above 4 MiB
# are spooled to an unnamed file and the signed file is answered from it.
# The results are judged by pdfsig and qpdf --check; refusals of spooled
# uploads leave no descriptor behind.
. "$(dirname "$0")/lib.sh"
MB=${ESD_LARGE_MB:-200}
# Under AddressSanitizer freed memory waits in a quarantine (256 MiB by
# default) before reuse, which would count as the front's peak; a small
# one keeps the measure about the front's own memory.
export ASAN_OPTIONS="$ASAN_OPTIONS:quarantine_size_mb=4"
esd_init
sed -i "s/^max_body = .*/max_body = $(((MB + 64) << 20))/" "$D/esignd.conf"
esd_start
AUTH="Authorization: Bearer $TOKEN"
BIG="$TMP/big.pdf"
python3 "$TOOLS/big_pdf.py" "$BIG" "$MB"
SIZE=$(stat -c %s "$BIG")
F=$(front_pid)

kib() { awk -v k="$1" '$1 == k":" { print $2 }' "/proc/$F/status"; }
# Restarts the peak at the current size, where allowed (root; else the
# peak counts from the front's start, which is small).
reset_peak() { echo 5 >"/proc/$F/clear_refs" 2>/dev/null || true; }
# peak_ok WHAT: VmHWM no more than 32 MiB above the size before.
peak_ok() {
	local hwm
	hwm=$(kib VmHWM)
	echo "# $1: front VmRSS before $IDLE KiB, VmHWM $hwm KiB ($MB MB document)"
	check "$1: the front's peak stays within 32 MiB of its idle size" \
		test "$((hwm - IDLE))" -le $((32 << 10))
}
fds() { ls "/proc/$F/fd" 2>/dev/null | wc -l; }

# The spool directory: the front's, private, empty to the eye.
SPOOL="$D/state/spool"
check "the spool directory exists, mode 700" test "$(stat -c %a "$SPOOL")" = 700
FD0=$(fds)

IDLE=$(kib VmRSS)
reset_peak
code=$(curl -s -o "$TMP/sealed.pdf" -w '%{http_code}' --cacert "$D/ca.pem" \
	-H "$AUTH" -F "file=@$BIG;type=application/pdf" "$URL/v1/seal")
eq "a $MB MB PDF is sealed over HTTPS (200)" 200 "$code"
peak_ok "sealing over HTTPS"
check "the original bytes are unchanged" cmp -n "$SIZE" "$BIG" "$TMP/sealed.pdf"
pdfsig "$TMP/sealed.pdf" >"$TMP/pdfsig.out" 2>&1
check "pdfsig: Signature is Valid" grep -q "Signature Validation: Signature is Valid." "$TMP/pdfsig.out"
check "pdfsig: Total document signed" grep -q "Total document signed" "$TMP/pdfsig.out"
check "qpdf --check" qpdf --check "$TMP/sealed.pdf"

IDLE=$(kib VmRSS)
reset_peak
code=$(curl -s -o "$TMP/lta.pdf" -w '%{http_code}' --unix-socket "$SOCK" \
	-F "file=@$BIG;type=application/pdf" -F key=demo-seal -F level=B-LTA \
	"http://localhost/v1/seal")
eq "sealed at B-LTA over the Unix socket (200)" 200 "$code"
peak_ok "sealing at B-LTA over the Unix socket"
check "B-LTA: the original bytes are unchanged" cmp -n "$SIZE" "$BIG" "$TMP/lta.pdf"
check "B-LTA: pdfsig: the seal is valid" bash -c \
	"pdfsig '$TMP/lta.pdf' 2>&1 | grep -q 'Signature Validation: Signature is Valid.'"
check "B-LTA: a document timestamp follows the /DSS" bash -c \
	"tail -c 100000 '$TMP/lta.pdf' | grep -a -q '/ETSI.RFC3161' && tail -c 200000 '$TMP/lta.pdf' | grep -a -q '/DSS'"
check "B-LTA: qpdf --check" qpdf --check "$TMP/lta.pdf"

IDLE=$(kib VmRSS)
reset_peak
code=$(curl -s -o "$TMP/v.json" -w '%{http_code}' --cacert "$D/ca.pem" \
	-F "file=@$TMP/lta.pdf;type=application/pdf" "$URL/v1/verify")
eq "the B-LTA document is verified (200)" 200 "$code"
peak_ok "verifying"
check "the verifier finds two intact signatures, the last one a document timestamp" \
	/usr/bin/python3 -c "
import json, sys
r = json.load(open('$TMP/v.json'))
s = r['signatures']
assert r['signature_count'] == 2, r['signature_count']
assert all(x['integrity']['ok'] for x in s), [x['integrity'] for x in s]
assert s[1]['sub_filter'] == 'ETSI.RFC3161', s[1]['sub_filter']
"

# Refusals of spooled uploads: an error, and nothing left behind.
head -c 6000000 /dev/zero >"$TMP/zeros.bin"
code=$(curl -s -o "$TMP/body" -w '%{http_code}' --cacert "$D/ca.pem" -H "$AUTH" \
	-F "file=@$TMP/zeros.bin;type=application/pdf" "$URL/v1/seal")
eq "6 MB that are not a PDF: 400 not_pdf" "400 not_pdf" "$code $(json_err)"
code=$(curl -s -o "$TMP/body" -w '%{http_code}' --cacert "$D/ca.pem" -H "$AUTH" \
	-F "file=@$BIG;type=application/pdf" -F "color=red" "$URL/v1/seal")
eq "a spooled document with an unknown field: 400 bad_request" "400 bad_request" "$code $(json_err)"
code=$(curl -s -o "$TMP/body" -w '%{http_code}' --cacert "$D/ca.pem" -H "$AUTH" \
	-F "file=@$BIG;type=application/pdf" -F "file=@$TMP/zeros.bin" "$URL/v1/seal")
eq "two spooled files in one form: 400 bad_request" "400 bad_request" "$code $(json_err)"
head -c 2000000 /dev/zero | tr '\0' k >"$TMP/key.txt"
code=$(curl -s -o "$TMP/body" -w '%{http_code}' --cacert "$D/ca.pem" -H "$AUTH" \
	-F "file=@$TMP/zeros.bin;type=application/pdf" -F "key=<$TMP/key.txt" \
	"$URL/v1/seal")
eq "a 2 MB key field: 413 payload_too_large" "413 payload_too_large" "$code $(json_err)"
# Without Content-Length (chunked): the same streaming, the same limit.
code=$(curl -s -o "$TMP/chunked.pdf" -w '%{http_code}' --cacert "$D/ca.pem" -H "$AUTH" \
	-H "Transfer-Encoding: chunked" -F "file=@$BIG;type=application/pdf" "$URL/v1/seal")
eq "a chunked upload is sealed (200)" 200 "$code"
check "the chunked upload's seal is valid" bash -c \
	"pdfsig '$TMP/chunked.pdf' 2>&1 | grep -q 'Signature Validation: Signature is Valid.'"
# A client that gives up halfway: its spool file goes with the request.
curl -s -o /dev/null --cacert "$D/ca.pem" -H "$AUTH" --limit-rate 20M --max-time 1 \
	-F "file=@$BIG;type=application/pdf" "$URL/v1/seal" || true
for _ in $(seq 50); do [ "$(fds)" = "$FD0" ] && break; sleep 0.1; done
eq "no descriptor is left open in the front" "$FD0" "$(fds)"
eq "the spool directory shows no file" "" "$(ls -A "$SPOOL")"
finish
