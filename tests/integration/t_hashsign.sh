#!/usr/bin/env bash
# The hash-only API (POST /v1/seal/hash, /v1/sign/hash) with the
# client-side helper tools/esd-hashsign: the document stays on the client,
# the result is judged by qpdf, pdfsig and openssl cms -verify.
. "$(dirname "$0")/lib.sh"
esd_init
esd_start
HS="$BUILD/tools/esd-hashsign"
AUTH="Authorization: Bearer $TOKEN"
hs() { "$HS" --url "$URL" --cacert "$D/ca.pem" --token-file "$D/admin.token" "$@"; }

for name in xref-table pdftex-1.5-objstm libreoffice-letter real-prawn-large; do
	out="$TMP/$name.hs.pdf"
	check "$name: esd-hashsign seals it" hs --reason Approved "$CORPUS/$name.pdf" "$out"
	check "$name: pdfsig: valid, whole document" bash -c \
		"pdfsig '$out' | grep -q 'Signature is Valid.' && pdfsig '$out' | grep -q 'Total document signed'"
	q=0; qpdf --check "$out" >/dev/null 2>&1 || q=$?
	check "$name: qpdf --check passes (exit $q)" test "$q" -ne 2
	cms_of "$out" "$TMP/cms"
	check "$name: openssl cms -verify with the demo CA" openssl cms -verify -binary -inform DER \
		-in "$TMP/cms.der" -content "$TMP/cms.data" -CAfile "$D/ca.pem" -out /dev/null
done
check "over the Unix socket too" "$HS" --url http://localhost --unix-socket "$SOCK" --key demo-seal \
	"$CORPUS/xref-table.pdf" "$TMP/unix.pdf"
check "an individual signature after an existing one" hs --individual --key demo-individual \
	"$CORPUS/bad-already-signed.pdf" "$TMP/ind.pdf"
eq "both signatures valid (pdfsig)" 2 "$(pdfsig "$TMP/ind.pdf" 2>/dev/null | grep -c 'Signature is Valid.')"
hs "$CORPUS/bad-already-signed.pdf" "$TMP/no.pdf" 2>/dev/null
eq "the helper refuses to seal a signed document locally (exit 4)" 4 $?
hs --key root-ca "$CORPUS/xref-table.pdf" "$TMP/no.pdf" 2>"$TMP/err"
eq "a key that is not a seal key: exit 1" 1 $?
check "... with esignd's message" grep -q "forbidden" "$TMP/err"
check "nothing written on refusal" test ! -e "$TMP/no.pdf"

eq "a short digest is 400" 400 "$(https_code /v1/seal/hash -H "$AUTH" -d '{"digest":"abcd"}')"
eq "a non-hex digest is 400" 400 "$(https_code /v1/seal/hash -H "$AUTH" -d "{\"digest\":\"$(printf 'z%.0s' $(seq 64))\"}")"
eq "an unknown field is 400" 400 "$(https_code /v1/seal/hash -H "$AUTH" -d "{\"digest\":\"$(printf '%064d' 0)\",\"x\":1}")"
eq "a key that is not a string is 400" 400 "$(https_code /v1/seal/hash -H "$AUTH" -d "{\"digest\":\"$(printf '%064d' 0)\",\"key\":1}")"
eq "no credential is 401" 401 "$(https_code /v1/seal/hash -d "{\"digest\":\"$(printf '%064d' 0)\"}")"
eq "a hash-only seal answers 200" 200 "$(https_code /v1/seal/hash -H "$AUTH" -d "{\"digest\":\"$(printf '%064d' 0)\"}")"
check "... with the key and a CMS" grep -q '"key":"demo-seal","cms":"' "$TMP/body"
finish
