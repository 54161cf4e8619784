#!/usr/bin/env bash
# POST /v1/seal on every corpus PDF: PAdES B-B judged by qpdf --check,
# pdfsig and openssl cms -verify; refusals with their error codes.
. "$(dirname "$0")/lib.sh"
esd_init
esd_start
AUTH="Authorization: Bearer $TOKEN"

seal() { # seal IN OUT [curl -F args...] -> HTTP status
	local in=$1 outf=$2
	shift 2
	curl -s -o "$outf" -w '%{http_code}' --cacert "$D/ca.pem" -H "$AUTH" \
		-F "file=@$in;type=application/pdf" "$@" "$URL/v1/seal"
}

A0=$("$ESIGNCTL" -c "$D/esignd.conf" --json audit verify | sed -n 's/.*"records": \([0-9]*\).*/\1/p')
n=0
for name in pdftex-1.5-objstm xref-table libreoffice-letter linearized ghostscript-from-ps \
	damaged-xref-offsets real-pdftex-2007 real-pdftex-objstm real-libreoffice real-qt-test \
	real-reportlab real-prawn-large; do
	in="$CORPUS/$name.pdf"
	out="$TMP/$name.sealed.pdf"
	code=$(seal "$in" "$out" -F reason=Approved -F location=Jakarta)
	eq "$name: sealed (200)" 200 "$code"
	[ "$code" = 200 ] || continue
	n=$((n + 1))
	check "$name: the original bytes are unchanged" cmp -n "$(stat -c %s "$in")" "$in" "$out"
	qin=0; qpdf --check "$in" >/dev/null 2>&1 || qin=$?
	qout=0; qpdf --check "$out" >"$TMP/qpdf.out" 2>&1 || qout=$?
	check "$name: qpdf --check is as clean as the input ($qin)" test "$qout" -le "$qin"
	pdfsig "$out" >"$TMP/pdfsig.out" 2>&1
	check "$name: pdfsig: Signature is Valid" grep -q "Signature Validation: Signature is Valid." "$TMP/pdfsig.out"
	check "$name: pdfsig: Total document signed" grep -q "Total document signed" "$TMP/pdfsig.out"
	check "$name: pdfsig: ETSI.CAdES.detached" grep -q "Signature Type: ETSI.CAdES.detached" "$TMP/pdfsig.out"
	cms_of "$out" "$TMP/cms"
	check "$name: openssl cms -verify with the demo CA over the byte range" \
		openssl cms -verify -binary -inform DER -in "$TMP/cms.der" -content "$TMP/cms.data" \
		-CAfile "$D/ca.pem" -out /dev/null
	# The same document at B-T (a signature timestamp from our TSA).
	eq "$name: sealed at B-T (200)" 200 "$(seal "$in" "$TMP/$name.bt.pdf" -F level=B-T)"
	qbt=0; qpdf --check "$TMP/$name.bt.pdf" >/dev/null 2>&1 || qbt=$?
	check "$name: B-T: qpdf --check is as clean as the input" test "$qbt" -le "$qin"
	check "$name: B-T: pdfsig: Signature is Valid" bash -c \
		"pdfsig '$TMP/$name.bt.pdf' | grep -q 'Signature Validation: Signature is Valid.'"
	cms_of "$TMP/$name.bt.pdf" "$TMP/cmsbt"
	check "$name: B-T: openssl cms -verify, with a timestamp token inside" bash -c \
		"openssl cms -verify -binary -inform DER -in '$TMP/cmsbt.der' -content '$TMP/cmsbt.data' -CAfile '$D/ca.pem' -out /dev/null && openssl asn1parse -inform DER -in '$TMP/cmsbt.der' | grep -q id-smime-aa-timeStampToken"
done
# Over the Unix socket (the answer sent from the upload's buffer and the
# update after it, with sendmsg), twice on one connection.
in="$CORPUS/real-prawn-large.pdf"
eq "Unix socket: two seals on one keep-alive connection (200 200)" "200 200" "$(curl -s \
	--unix-socket "$SOCK" -w '%{http_code} ' -F "file=@$in" -F key=demo-seal -o "$TMP/u1.pdf" \
	http://localhost/v1/seal --next --unix-socket "$SOCK" -w '%{http_code}' -F "file=@$in" \
	-F key=demo-seal -o "$TMP/u2.pdf" http://localhost/v1/seal)"
for u in u1 u2; do
	check "Unix socket $u: the original bytes are unchanged" cmp -n "$(stat -c %s "$in")" "$in" "$TMP/$u.pdf"
	check "Unix socket $u: pdfsig: Signature is Valid" bash -c \
		"pdfsig '$TMP/$u.pdf' | grep -q 'Signature Validation: Signature is Valid.'"
done
openssl cms -cmsout -print -inform DER -in "$TMP/cms.der" >"$TMP/cms.txt"
check "signed attributes include ESS signing-certificate-v2" grep -q "id-smime-aa-signingCertificateV2" "$TMP/cms.txt"
check "signed attributes include content-type and message-digest" \
	bash -c "grep -q 'object: contentType' '$TMP/cms.txt' && grep -q 'object: messageDigest' '$TMP/cms.txt'"
check "no signing-time attribute (PAdES keeps it in /M)" bash -c "! grep -q 'object: signingTime' '$TMP/cms.txt'"
check "the signer is the demo seal certificate" \
	bash -c "pdfsig '$TMP/libreoffice-letter.sealed.pdf' | grep -q 'Common Name: Demo Agency Seal'"
check "reason and location are in the signature dictionary" \
	bash -c "grep -a -q '/Reason *(Approved)' '$TMP/libreoffice-letter.sealed.pdf' && grep -a -q '/Location *(Jakarta)' '$TMP/libreoffice-letter.sealed.pdf'"
A1=$("$ESIGNCTL" -c "$D/esignd.conf" --json audit verify | sed -n 's/.*"records": \([0-9]*\).*/\1/p')
eq "two audit records per B-B and B-T pair of seals, one per timestamp, two Unix socket seals" \
	"$((n * 3 + 2))" "$((A1 - A0))"

# Refusals: a stable error code, nothing written.
refuse() { # refuse NAME FILE STATUS CODE [curl args]
	local name=$1 f=$2 st=$3 ec=$4
	shift 4
	eq "$name: HTTP $st" "$st" "$(seal "$f" "$TMP/refused" "$@")"
	eq "$name: error $ec" "$ec" "$(sed -n 's/.*"code":"\([a-z_]*\)".*/\1/p' "$TMP/refused")"
}
refuse "not a PDF" "$CORPUS/bad-not-pdf.txt" 400 not_pdf
refuse "encrypted" "$CORPUS/bad-encrypted.pdf" 400 pdf_encrypted
refuse "truncated" "$CORPUS/bad-truncated.pdf" 400 pdf_truncated
refuse "already signed" "$CORPUS/bad-already-signed.pdf" 409 already_signed
refuse "sealing a sealed output" "$TMP/xref-table.sealed.pdf" 409 already_signed
refuse "level B-X" "$CORPUS/xref-table.pdf" 400 bad_request -F level=B-X
refuse "a key that is not a seal key" "$CORPUS/xref-table.pdf" 403 forbidden -F key=root-ca
refuse "an unknown key" "$CORPUS/xref-table.pdf" 404 not_found -F key=nope
refuse "an unknown field" "$CORPUS/xref-table.pdf" 400 bad_request -F colour=red
refuse "a bad visible rectangle" "$CORPUS/xref-table.pdf" 400 bad_request -F 'visible={"rect":[1,2]}'
refuse "a page that does not exist" "$CORPUS/xref-table.pdf" 400 bad_request \
	-F 'visible={"page":99,"rect":[10,10,100,50]}'
eq "no file field is 400" 400 "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$D/ca.pem" -H "$AUTH" -F key=demo-seal "$URL/v1/seal")"
eq "a JSON body is 415" 415 "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$D/ca.pem" -H "$AUTH" -d '{}' "$URL/v1/seal")"
eq "no credential is 401" 401 "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$D/ca.pem" -F "file=@$CORPUS/xref-table.pdf" "$URL/v1/seal")"
eq "a truncated multipart body is 400" 400 "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$D/ca.pem" -H "$AUTH" \
	-H 'Content-Type: multipart/form-data; boundary=XX' --data-binary $'--XX\r\nContent-Disposition: form-data; name="file"\r\n\r\n%PDF-1.4 trunc' "$URL/v1/seal")"
A2=$("$ESIGNCTL" -c "$D/esignd.conf" --json audit verify | sed -n 's/.*"records": \([0-9]*\).*/\1/p')
eq "refusals before signing leave no audit record" "$A1" "$A2"
eq "health is still 200" 200 "$(https_code /v1/health)"

# PAdES B-T: a signature timestamp from the appliance's TSA over the
# signature value, judged by openssl ts -verify.
eq "a B-T seal (200)" 200 "$(seal "$CORPUS/libreoffice-letter.pdf" "$TMP/bt.pdf" -F level=B-T)"
check "pdfsig: the B-T seal is valid" bash -c "pdfsig '$TMP/bt.pdf' | grep -q 'Signature is Valid.'"
cms_of "$TMP/bt.pdf" "$TMP/bt"
check "openssl cms -verify on the B-T seal" openssl cms -verify -binary -inform DER \
	-in "$TMP/bt.der" -content "$TMP/bt.data" -CAfile "$D/ca.pem" -out /dev/null
check "the CMS carries id-aa-signatureTimeStampToken (unsigned)" tst_of "$TMP/bt"
check "openssl ts -verify: the token stamps the signature value" bash -c \
	"openssl ts -verify -token_in -in '$TMP/bt.tst' -data '$TMP/bt.sigval' -CAfile '$D/ca.pem' -untrusted '$D/issuing-ca.pem' | grep -q 'Verification: OK'"
code=$(curl -s -o "$TMP/v.json" -w '%{http_code}' --cacert "$D/ca.pem" -F "file=@$TMP/bt.pdf" "$URL/v1/verify")
check "POST /v1/verify reports B-T, valid ($code)" bash -c \
	"grep -q '\"pades_level\":\"B-T\"' '$TMP/v.json' && grep -q '\"verdict\":\"valid\"' '$TMP/v.json'"

# PAdES B-LT: a /DSS with the chain, the TSA certificate and the CRLs.
eq "a B-LT seal (200)" 200 "$(seal "$CORPUS/xref-table.pdf" "$TMP/lt.pdf" -F level=B-LT)"
check "pdfsig: the B-LT seal is valid" bash -c "pdfsig '$TMP/lt.pdf' | grep -q 'Signature is Valid.'"
q=0; qpdf --check "$TMP/lt.pdf" >/dev/null 2>&1 || q=$?
check "qpdf --check accepts the B-LT file (exit $q)" test "$q" -ne 2
root=$(qpdf --show-object=trailer "$TMP/lt.pdf" | sed -n 's/.*\/Root \([0-9]*\) 0 R.*/\1/p')
dss=$(qpdf --show-object="$root" "$TMP/lt.pdf" | sed -n 's/.*\/DSS \([0-9]*\) 0 R.*/\1/p')
check "the catalog has a /DSS" test -n "$dss"
qpdf --show-object="$dss" "$TMP/lt.pdf" >"$TMP/dss.txt" 2>/dev/null
check "the /DSS lists at least 4 certificates and 2 CRLs, and a /VRI" bash -c \
	"grep -q '/Certs \[ [0-9]* 0 R [0-9]* 0 R [0-9]* 0 R [0-9]* 0 R' '$TMP/dss.txt' && grep -q '/CRLs \[ [0-9]* 0 R [0-9]* 0 R' '$TMP/dss.txt' && grep -q '/VRI' '$TMP/dss.txt'"
crl=$(sed -n 's/.*\/CRLs \[ \([0-9]*\) 0 R.*/\1/p' "$TMP/dss.txt")
qpdf --show-object="$crl" --filtered-stream-data "$TMP/lt.pdf" >"$TMP/dss-crl.der" 2>/dev/null
cat "$D/issuing-ca.pem" "$D/ca.pem" >"$TMP/chain.pem"
check "a CRL from the /DSS verifies with openssl crl" bash -c \
	"openssl crl -inform DER -in '$TMP/dss-crl.der' -CAfile '$TMP/chain.pem' -noout -verify 2>&1 | grep -q 'verify OK'"
ocsp=$(sed -n 's/.*\/OCSPs \[ \([0-9]*\) 0 R.*/\1/p' "$TMP/dss.txt")
check "the /DSS holds OCSP responses" test -n "$ocsp"
qpdf --show-object="$ocsp" --filtered-stream-data "$TMP/lt.pdf" >"$TMP/dss-ocsp.der" 2>/dev/null
curl -s -o "$TMP/lt.json" --cacert "$D/ca.pem" -F "file=@$TMP/lt.pdf" "$URL/v1/verify"
check "POST /v1/verify reports B-LT (the /DSS answers for the signer)" \
	grep -q '"pades_level":"B-LT","verdict":"valid"' "$TMP/lt.json"
check "... with revocation 'good' from the /DSS CRL" grep -q '"revocation":"good"' "$TMP/lt.json"
check "an OCSP response from the /DSS verifies (openssl ocsp) and says good" bash -c \
	"openssl ocsp -respin '$TMP/dss-ocsp.der' -CAfile '$D/ca.pem' -verify_other '$D/issuing-ca.pem' -resp_text 2>&1 | grep -q 'Response verify OK' && openssl ocsp -respin '$TMP/dss-ocsp.der' -resp_text -noverify | grep -q 'Cert Status: good'"

# PAdES B-LTA: a document timestamp over the B-LT document.
eq "a B-LTA seal (200)" 200 "$(seal "$CORPUS/xref-table.pdf" "$TMP/lta.pdf" -F level=B-LTA)"
pdfsig "$TMP/lta.pdf" >"$TMP/lta.txt" 2>&1
eq "pdfsig lists the seal and the document timestamp" 2 "$(grep -c '^Signature #' "$TMP/lta.txt")"
check "the seal is still valid" grep -q "Signature is Valid." "$TMP/lta.txt"
check "the document timestamp covers the whole file" bash -c \
	"sed -n '/Signature #2/,\$p' '$TMP/lta.txt' | grep -q 'Total document signed'"
check "it is a /DocTimeStamp with /ETSI.RFC3161" bash -c \
	"grep -a -q '/Type */DocTimeStamp' '$TMP/lta.pdf' && grep -a -q '/SubFilter */ETSI.RFC3161' '$TMP/lta.pdf'"
cms_of "$TMP/lta.pdf" "$TMP/doc-ts"
check "openssl ts -verify: the token stamps the byte range" bash -c \
	"openssl ts -verify -token_in -in '$TMP/doc-ts.der' -data '$TMP/doc-ts.data' -CAfile '$D/ca.pem' -untrusted '$D/issuing-ca.pem' | grep -q 'Verification: OK'"
q=0; qpdf --check "$TMP/lta.pdf" >/dev/null 2>&1 || q=$?
check "qpdf --check accepts the B-LTA file (exit $q)" test "$q" -ne 2
curl -s -o "$TMP/lta.json" --cacert "$D/ca.pem" -F "file=@$TMP/lta.pdf" "$URL/v1/verify"
check "POST /v1/verify: the B-LTA document is valid" grep -q '^{"verdict":"valid"' "$TMP/lta.json"
check "... with a valid document timestamp" grep -q '"type":"document_timestamp".*"verdict":"valid"' "$TMP/lta.json"
check "... and the seal reported as B-LTA" grep -q '"pades_level":"B-LTA","verdict":"valid"' "$TMP/lta.json"
eq "hash-only calls cannot make B-LT (400)" 400 "$(https_code /v1/seal/hash -H "$AUTH" \
	-d "{\"digest\":\"$(printf '%064d' 0)\",\"level\":\"B-LT\"}")"

# Individual signatures (POST /v1/sign) go after earlier ones, all valid.
sign() { # sign IN OUT [curl -F args...] -> HTTP status
	local in=$1 outf=$2
	shift 2
	curl -s -o "$outf" -w '%{http_code}' --cacert "$D/ca.pem" -H "$AUTH" \
		-F "file=@$in;type=application/pdf" "$@" "$URL/v1/sign"
}
eq "an individual signs the already-signed letter (200)" 200 \
	"$(sign "$CORPUS/bad-already-signed.pdf" "$TMP/s2.pdf" -F key=demo-individual)"
eq "... and signs it again (200)" 200 "$(sign "$TMP/s2.pdf" "$TMP/s3.pdf" -F key=demo-individual -F reason=Second)"
pdfsig "$TMP/s3.pdf" >"$TMP/pdfsig3.out" 2>&1
eq "pdfsig finds 3 signatures" 3 "$(grep -c '^Signature #' "$TMP/pdfsig3.out")"
eq "all 3 are valid (pdfsig)" 3 "$(grep -c 'Signature Validation: Signature is Valid.' "$TMP/pdfsig3.out")"
check "the last is by the demo signer" bash -c "grep 'Common Name' '$TMP/pdfsig3.out' | tail -1 | grep -q 'Demo Signer'"
qout=0; qpdf --check "$TMP/s3.pdf" >/dev/null 2>&1 || qout=$?
check "qpdf --check accepts the triple-signed file (exit $qout)" test "$qout" -ne 2
cms_of "$TMP/s3.pdf" "$TMP/cms3"
check "openssl cms -verify on the last signature" openssl cms -verify -binary -inform DER \
	-in "$TMP/cms3.der" -content "$TMP/cms3.data" -CAfile "$D/ca.pem" -out /dev/null
eq "an individual signature with a seal key is 403" 403 "$(sign "$CORPUS/xref-table.pdf" "$TMP/x" -F key=demo-seal)"
eq "a seal with an individual's key is 403" 403 "$(seal "$CORPUS/xref-table.pdf" "$TMP/x" -F key=demo-individual)"
eq "an individual signature without a key is 400" 400 "$(sign "$CORPUS/xref-table.pdf" "$TMP/x")"

# A visible seal changes the pixels inside its rectangle and nowhere else.
code=$(seal "$CORPUS/libreoffice-letter.pdf" "$TMP/visible.pdf" -F 'visible={"page":1,"rect":[50,50,250,110]}')
eq "a visible seal (200)" 200 "$code"
h=$(pdfinfo "$CORPUS/libreoffice-letter.pdf" | awk '/Page size/{printf "%d", $5}')
crop() { pdftoppm -r 72 -f 1 -l 1 -x "$2" -y "$3" -W "$4" -H "$5" -png "$1" | sha256sum; }
check "pixels inside the rectangle changed (pdftoppm)" \
	test "$(crop "$CORPUS/libreoffice-letter.pdf" 52 $((h - 108)) 196 56)" != "$(crop "$TMP/visible.pdf" 52 $((h - 108)) 196 56)"
check "pixels above the rectangle did not" \
	test "$(crop "$CORPUS/libreoffice-letter.pdf" 0 0 300 200)" = "$(crop "$TMP/visible.pdf" 0 0 300 200)"
check "the visible seal is valid (pdfsig)" bash -c "pdfsig '$TMP/visible.pdf' | grep -q 'Signature is Valid'"

# A visible seal with an image and a QR code that a reader can scan.
pdftoppm -r 30 -f 1 -l 1 -png "$CORPUS/xref-table.pdf" "$TMP/logo" >/dev/null 2>&1
logo=$(ls "$TMP"/logo*.png | head -1)
eq "a visible seal with an image and a QR code (200)" 200 "$(seal "$CORPUS/libreoffice-letter.pdf" "$TMP/qr.pdf" \
	-F 'visible={"page":1,"rect":[40,40,400,160]}' -F "image=@$logo;type=image/png" \
	-F 'qr=https://verify.example/doc/42')"
check "it is valid (pdfsig)" bash -c "pdfsig '$TMP/qr.pdf' | grep -q 'Signature is Valid'"
if command -v zbarimg >/dev/null; then
	pdftoppm -r 150 -f 1 -l 1 -png "$TMP/qr.pdf" "$TMP/qrpage" >/dev/null 2>&1
	check "zbarimg reads the QR code from the rendered page" bash -c \
		"zbarimg -q --raw $TMP/qrpage*.png | grep -qx 'https://verify.example/doc/42'"
else
	ok "# SKIP zbarimg not installed"
fi
printf 'GIF89a not really' >"$TMP/bad.gif"
refuse "an image that is not JPEG or PNG" "$CORPUS/xref-table.pdf" 400 bad_request \
	-F 'visible={"page":1,"rect":[40,40,300,120]}' -F "image=@$TMP/bad.gif"
refuse "a QR code without a visible rectangle" "$CORPUS/xref-table.pdf" 400 bad_request -F 'qr=x'

# A seal placed at a text the letter shows (pdftotext -bbox puts the word
# "Pemanfaatan" at x 158.8, baseline 776.8), with its own lines.
eq "a seal at an anchor text, with 'text' (200)" 200 "$(seal "$CORPUS/libreoffice-letter.pdf" "$TMP/anchor.pdf" \
	-F 'visible={"anchor":"Pemanfaatan","size":[150,40],"offset":[0,-30]}' -F 'text=Disegel oleh sistem')"
check "it is valid (pdfsig)" bash -c "pdfsig '$TMP/anchor.pdf' | grep -q 'Signature is Valid'"
eq "its box starts at the word, moved by the offset" "159 747 309 787" "$(widget_rect "$TMP/anchor.pdf")"
refuse "an anchor the document does not show" "$CORPUS/libreoffice-letter.pdf" 422 anchor_not_found \
	-F 'visible={"anchor":"#ttd#","size":[150,40]}'
refuse "an anchor with a rect too" "$CORPUS/libreoffice-letter.pdf" 400 bad_request \
	-F 'visible={"anchor":"Surat","size":[150,40],"rect":[1,2,3,4]}'
refuse "an anchor without a size" "$CORPUS/libreoffice-letter.pdf" 400 bad_request -F 'visible={"anchor":"Surat"}'
refuse "text without a visible box" "$CORPUS/xref-table.pdf" 400 bad_request -F 'text=hello'
# A content stream with more numbers before Td than the text finder's
# operand array once held (a fuzzer's input): a clean refusal, and the
# front is still there to seal the next document.
refuse "a content stream with 16 operands before Td, at an anchor" \
	"$(dirname "$0")/../fuzz/regress/pdf/text-td-more-than-six-operands.pdf" 422 anchor_not_found \
	-F 'visible={"anchor":"#ttd#","size":[150,40]}'
eq "the front seals the next document (200)" 200 "$(seal "$CORPUS/xref-table.pdf" "$TMP/after-ttd.pdf")"
finish
