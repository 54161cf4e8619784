#!/usr/bin/env bash
# POST /v1/verify judged by pdfsig: the corpus (signed, unsigned, refused),
# files signed by pdfsign_tool with a software key (intact but untrusted),
# a byte flipped inside a signed range (invalid), and a seal of the daemon
# itself (valid: trusted to the demo CA).
. "$(dirname "$0")/lib.sh"
TOOL=${PDFSIGN_TOOL:-$BUILD/tests/pdf/pdfsign_tool}
esd_init
# A lower body limit than the default, to see it enforced.
sed -i 's/^max_body *=.*/max_body = 8388608/' "$D/esignd.conf"
esd_start

# verify FILE: HTTP status; the answer is in $TMP/body (compact JSON,
# keys in a fixed order).
verify() {
	unix_code /v1/verify -F "file=@$1;type=application/pdf"
}
verdict() { sed -n 's/^{"verdict":"\([a-z]*\)".*/\1/p' "$TMP/body"; }
count() { sed -n 's/.*"signature_count":\([0-9]*\).*/\1/p' "$TMP/body"; }
# per-signature values, in document order, space separated
sig_verdicts() { grep -o '"pades_level":"[^"]*","verdict":"[a-z]*"' "$TMP/body" |
	sed 's/.*"verdict":"\([a-z]*\)"/\1/' | tr '\n' ' ' | sed 's/ $//'; }
levels() { grep -o '"pades_level":"[^"]*"' "$TMP/body" | cut -d'"' -f4 | tr '\n' ' ' | sed 's/ $//'; }
intact() { grep -o '"integrity":{"ok":[a-z]*' "$TMP/body" | sed 's/.*://' | tr '\n' ' ' | sed 's/ $//'; }
chains() { grep -o '"chain":{"status":"[a-z_]*"' "$TMP/body" | cut -d'"' -f6 | tr '\n' ' ' | sed 's/ $//'; }
whole() { grep -o '"covers_whole_document":[a-z]*' "$TMP/body" | sed 's/.*://' | tr '\n' ' ' | sed 's/ $//'; }
# pdfsig's "Signature is Valid." per signature as true/false, in order
pdfsig_intact() {
	pdfsig "$1" 2>/dev/null | sed -n 's/.*Signature Validation: //p' |
		sed 's/^Signature is Valid\.$/true/; t; s/.*/false/' | tr '\n' ' ' | sed 's/ $//'
}
# agrees FILE: our integrity verdicts equal pdfsig's, signature by signature
agrees() {
	local ours theirs
	ours=$(intact)
	theirs=$(pdfsig_intact "$1")
	[ -n "$ours" ] && [ "$ours" = "$theirs" ] ||
		{ echo "ours: '$ours' pdfsig: '$theirs'"; return 1; }
}

# --- the corpus -------------------------------------------------------------
f=$CORPUS/bad-already-signed.pdf
eq "bad-already-signed.pdf: 200" 200 "$(verify "$f")"
eq "bad-already-signed.pdf: 1 signature" 1 "$(count)"
check "bad-already-signed.pdf: integrity agrees with pdfsig" agrees "$f"
eq "bad-already-signed.pdf: adbe.pkcs7.detached is PAdES level none" none "$(levels)"
eq "bad-already-signed.pdf: its signer is not under the demo CA" indeterminate "$(verdict)"
dn=$(pdfsig "$f" 2>/dev/null | sed -n 's/.*Signer full Distinguished Name: //p')
check "bad-already-signed.pdf: the signer's DN is pdfsig's ($dn)" \
	grep -q "\"signer\":{\"subject\":\"$dn\"" "$TMP/body"
check "bad-already-signed.pdf: /M is reported as ISO 8601" \
	grep -q '"signing_time":"20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9:]*Z"' "$TMP/body"

for f in "$CORPUS"/*.pdf; do
	b=$(basename "$f")
	case "$b" in bad-*) continue ;; esac
	code=$(verify "$f")
	if [ "$b" = damaged-xref-offsets.pdf ] && [ "$code" = 400 ]; then
		eq "$b: refused as damaged" pdf_damaged "$(json_err)"
		continue
	fi
	eq "$b: 200, unsigned, 0 signatures" "200 unsigned 0" "$code $(verdict) $(count)"
done

refused() { # refused FILE STATUS CODE
	eq "$(basename "$1"): HTTP $2 $3" "$2 $3" "$(verify "$1") $(json_err)"
}
refused "$CORPUS/bad-not-pdf.txt" 400 not_pdf
refused "$CORPUS/bad-encrypted.pdf" 400 pdf_encrypted
refused "$CORPUS/bad-truncated.pdf" 400 pdf_truncated
eq "no file field is 400" 400 "$(unix_code /v1/verify -F reason=x)"
eq "a JSON body is 415" 415 "$(unix_code /v1/verify -d '{}')"
head -c 9000000 /dev/zero >"$TMP/big.pdf"
eq "a body over max_body is 413" 413 "$(verify "$TMP/big.pdf")"
eq "verify needs no credential over HTTPS" 200 \
	"$(https_code /v1/verify -F "file=@$CORPUS/bad-already-signed.pdf")"

# --- signed by pdfsign_tool with a software key ------------------------------
if [ -x "$TOOL" ]; then
	openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 2 \
		-subj "/O=esignd tests/CN=verify test signer" \
		-keyout "$TMP/key.pem" -out "$TMP/cert.pem" >/dev/null 2>&1
	sign() { "$TOOL" sign "$@" >/dev/null 2>&1; }
	for b in xref-table.pdf pdftex-1.5-objstm.pdf libreoffice-letter.pdf real-qt-test.pdf; do
		in=$CORPUS/$b
		s1=$TMP/$b.cades.pdf
		s2=$TMP/$b.twice.pdf
		if ! sign "$TMP/key.pem" "$TMP/cert.pem" "$in" "$s1"; then
			not_ok "$b: pdfsign_tool signs"
			continue
		fi
		eq "$b signed (CAdES): 200, 1 signature" "200 1" "$(verify "$s1") $(count)"
		check "$b signed: integrity agrees with pdfsig (valid)" agrees "$s1"
		eq "$b signed: intact" true "$(intact)"
		eq "$b signed: self-signed key is indeterminate" indeterminate "$(verdict)"
		eq "$b signed: chain untrusted" untrusted "$(chains)"
		eq "$b signed: PAdES B-B" B-B "$(levels)"
		eq "$b signed: covers the whole document" true "$(whole)"
		if sign --pkcs7 --reason "second" "$TMP/key.pem" "$TMP/cert.pem" "$s1" "$s2"; then
			eq "$b signed twice: 2 signatures" "200 2" "$(verify "$s2") $(count)"
			check "$b signed twice: integrity agrees with pdfsig" agrees "$s2"
			eq "$b signed twice: first no longer covers the document" "false true" "$(whole)"
			eq "$b signed twice: levels B-B, none" "B-B none" "$(levels)"
			eq "$b signed twice: both indeterminate" "indeterminate indeterminate" "$(sig_verdicts)"
		else
			not_ok "$b: pdfsign_tool signs again"
		fi
	done

	# One byte flipped inside the signed range (the binary comment of
	# line 2, so the file still parses): the digest no longer matches.
	s1=$TMP/xref-table.pdf.cades.pdf
	t=$TMP/tampered.pdf
	cp "$s1" "$t"
	printf '\x41' | dd of="$t" bs=1 seek=10 conv=notrunc status=none
	eq "tampered: 200, verdict invalid" "200 invalid" "$(verify "$t") $(verdict)"
	check "tampered: the messageDigest mismatch is reported" \
		grep -q '"digest_ok":false' "$TMP/body"
	check "tampered: pdfsig agrees it is not valid" agrees "$t"
	check "tampered: pdfsig does not say valid" \
		bash -c "! pdfsig '$t' 2>/dev/null | grep -q 'Signature is Valid.'"
	# The signature itself damaged: one hex digit of /Contents changed
	# near its end (inside the RSA signature value).
	t2=$TMP/badsig.pdf
	cp "$s1" "$t2"
	cms_of "$s1" "$TMP/sig"
	br=($(grep -a -o '/ByteRange *\[[0-9 ]*\]' "$t2" | tail -1 | tr -dc '0-9 '))
	hdr=$(openssl asn1parse -inform DER -in "$TMP/sig.der" 2>/dev/null | head -1)
	hl=$(echo "$hdr" | sed -n 's/.*hl= *\([0-9]*\).*/\1/p')
	l=$(echo "$hdr" | sed -n 's/.* l= *\([0-9]*\).*/\1/p')
	off=$((br[1] + 1 + 2 * (hl + l) - 20))
	c=$(dd if="$t2" bs=1 skip=$off count=1 status=none)
	[ "$c" = 0 ] && r=1 || r=0
	printf '%s' "$r" | dd of="$t2" bs=1 seek=$off conv=notrunc status=none
	eq "signature value changed: verdict invalid" "200 invalid" "$(verify "$t2") $(verdict)"
	check "signature value changed: pdfsig agrees" agrees "$t2"
else
	echo "ok - # SKIP pdfsign_tool not built ($TOOL)"
fi

# --- a seal of this daemon: trusted to the demo CA ---------------------------
code=$(unix_code /v1/seal -F "file=@$CORPUS/libreoffice-letter.pdf;type=application/pdf" \
	-F key=demo-seal -F reason=Verified -F location=Jakarta)
if [ "$code" = 404 ]; then
	echo "ok - # SKIP POST /v1/seal not available"
elif [ "$code" != 200 ]; then
	not_ok "seal for verification (HTTP $code: $(head -c 200 "$TMP/body"))"
else
	cp "$TMP/body" "$TMP/sealed.pdf"
	eq "sealed: 200, verdict valid" "200 valid" "$(verify "$TMP/sealed.pdf") $(verdict)"
	eq "sealed: chain trusted" trusted "$(chains)"
	eq "sealed: PAdES B-B" B-B "$(levels)"
	check "sealed: ESS signing-certificate-v2 matches" \
		grep -q '"ess_signing_certificate":"v2","ess_match":true' "$TMP/body"
	check "sealed: reason and location reported" \
		bash -c "grep -q '\"reason\":\"Verified\",\"location\":\"Jakarta\"' '$TMP/body'"
	check "sealed: integrity agrees with pdfsig" agrees "$TMP/sealed.pdf"
	if [ -x "$TOOL" ]; then
		"$TOOL" sign --pkcs7 "$TMP/key.pem" "$TMP/cert.pem" "$TMP/sealed.pdf" \
			"$TMP/sealed2.pdf" >/dev/null 2>&1
		eq "sealed, then signed: seal still valid, second indeterminate" \
			"valid indeterminate" "$(verify "$TMP/sealed2.pdf" >/dev/null; sig_verdicts)"
		eq "sealed, then signed: overall indeterminate" indeterminate "$(verdict)"
	fi
fi
eq "health is still 200" 200 "$(https_code /v1/health)"
finish
