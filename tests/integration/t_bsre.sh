#!/usr/bin/env bash
# The BSrE eSign Client API, called the way agency integrations do: HTTP
# Basic with the client's name and token, multipart for v1, base64 JSON
# for v2. Results are checked with pdfsig and qpdf; every refusal has its
# documented status_code and HTTP status, and refusals that are not
# counted failures leave LMDB unchanged.
. "$(dirname "$0")/lib.sh"
esd_init
esd_start
CTL="$ESIGNCTL -c $D/esignd.conf"
PY=/usr/bin/python3
PDF="$CORPUS/xref-table.pdf"
esd_verifiers

# An individual and a seal, as the registration authority makes them.
NIK=3171000000000007
$VA --json user register --name "Rina Wati" --nik $NIK --email rina@agency.go.id \
	--unit Humas --org "Kementerian Contoh" >"$TMP/ind.json"
$VB request approve --id "$(jget "$TMP/ind.json" request.id)" >/dev/null
printf 'bunga melati putih 7\n' >"$TMP/pass"
$CTL user activate --subscriber "$(jget "$TMP/ind.json" subscriber.id)" \
	--code "$(mail_code rina@agency.go.id)" --passphrase-file "$TMP/pass" >/dev/null
PHRASE=$(cat "$TMP/pass")
$VA --json seal register --name "Sistem Surat" --email segel@agency.go.id \
	--letter "$PDF" >"$TMP/seal.json"
SEAL=$(jget "$TMP/seal.json" subscriber.id)
$VB request approve --id "$(jget "$TMP/seal.json" request.id)" >/dev/null
$CTL --json client add --name agency-app --role client --key "$SEAL" >"$TMP/app.json"
APPTOK=$(jget "$TMP/app.json" token)
B=(-u "agency-app:$APPTOK")
post() { # post PATH ARGS... -> HTTP status, body in $TMP/body
	local path=$1
	shift
	curl -s -D "$TMP/headers" -o "$TMP/body" -w '%{http_code}' --cacert "$D/ca.pem" "${B[@]}" "$@" "$URL$path"
}
sc() { jget "$TMP/body" status_code; }

# v1: multipart.
eq "v1 /api/sign/pdf (invisible): 200" 200 "$(post /api/sign/pdf -F "file=@$PDF" \
	-F nik=$NIK -F "passphrase=$PHRASE" -F tampilan=invisible)"
cp "$TMP/body" "$TMP/v1.pdf"
check "the answer is the signed PDF (pdfsig: valid, the signer's name)" bash -c \
	"pdfsig '$TMP/v1.pdf' | grep -q 'Signature is Valid' && pdfsig '$TMP/v1.pdf' | grep -q 'Rina Wati'"
check "qpdf --check" qpdf --check "$TMP/v1.pdf"
check "with an id_dokumen header" grep -qi '^id_dokumen: [0-9a-f]\{64\}' "$TMP/headers"
IDDOK=$(sed -n 's/^id_dokumen: *\([0-9a-f]*\).*/\1/Ip' "$TMP/headers" | tr -d '\r')
eq "GET /api/sign/download/{id_dokumen}: 200" 200 "$(post /api/sign/download/$IDDOK -X GET)"
check "... the same signed PDF" cmp "$TMP/body" "$TMP/v1.pdf"
eq "an unknown id: 404 2071" "404 2071" "$(post /api/sign/download/$(printf '%064d' 0) -X GET) $(sc)"
eq "another client may not download it: 404" 404 "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$D/ca.pem" \
	-u "va:$(cat "$TMP/va.tok")" "$URL/api/sign/download/$IDDOK")"
pdftoppm -r 30 -f 1 -l 1 -png "$PDF" "$TMP/ttd" >/dev/null 2>&1
TTD=$(ls "$TMP"/ttd*.png | head -1)
eq "v1 visible with imageTTD and linkQR: 200" 200 "$(post /api/sign/pdf -F "file=@$PDF" \
	-F nik=$NIK -F "passphrase=$PHRASE" -F tampilan=visible -F image=true \
	-F "imageTTD=@$TTD;type=image/png" -F linkQR=https://verify.example/x -F page=1 \
	-F xAxis=40 -F yAxis=40 -F width=300 -F height=100 -F reason=Setuju -F location=Jakarta)"
cp "$TMP/body" "$TMP/v1vis.pdf"
check "... valid, with the reason in the signature dictionary" bash -c \
	"pdfsig '$TMP/v1vis.pdf' | grep -q 'Signature is Valid' && grep -a -q '/Reason *(Setuju)' '$TMP/v1vis.pdf'"
# tag_koordinat: the box goes where the letter shows its marker; text
# replaces the box's lines.
$PY "$TOOLS/letter_pdf.py" "$TMP/letter.pdf" '#ttd#' 360 160
eq "v1 visible at tag_koordinat, with text: 200" 200 "$(post /api/sign/pdf -F "file=@$TMP/letter.pdf" \
	-F nik=$NIK -F "passphrase=$PHRASE" -F tampilan=visible -F 'tag_koordinat=#ttd#' -F width=150 \
	-F height=60 -F yAxis=-10 -F "text=$(printf 'Ditandatangani secara elektronik\noleh Rina Wati')")"
cp "$TMP/body" "$TMP/v1tag.pdf"
check "... valid (pdfsig) and intact (qpdf --check)" bash -c \
	"pdfsig '$TMP/v1tag.pdf' | grep -q 'Signature is Valid' && qpdf --check '$TMP/v1tag.pdf' >/dev/null"
eq "... its box starts at the marker, moved down by yAxis" "360 150 510 210" "$(widget_rect "$TMP/v1tag.pdf")"
qpdf --qdf --object-streams=disable "$TMP/v1tag.pdf" "$TMP/v1tag-qdf.pdf"
check "... and shows the caller's text, not the default lines" bash -c \
	"grep -a -q '(Ditandatangani secara elektronik) Tj' '$TMP/v1tag-qdf.pdf' && \
	 grep -a -q '(oleh Rina Wati) Tj' '$TMP/v1tag-qdf.pdf' && ! grep -a -q '(Digitally signed' '$TMP/v1tag-qdf.pdf'"
S0=$(state_sum)
eq "text that is not printable ASCII: 400 2055" "400 2055" "$(post /api/sign/pdf -F "file=@$TMP/letter.pdf" \
	-F nik=$NIK -F "passphrase=$PHRASE" -F tampilan=visible -F 'tag_koordinat=#ttd#' -F width=150 \
	-F height=60 -F "text=$(printf 'tab\there')") $(sc)"
eq "an unknown NIK: 404" 404 "$(post /api/sign/pdf -F "file=@$PDF" -F nik=3171000000009999 -F "passphrase=$PHRASE")"
eq "... status_code 2021" 2021 "$(sc)"
eq "not a PDF: 400" 400 "$(post /api/sign/pdf -F "file=@$CORPUS/bad-not-pdf.txt" -F nik=$NIK -F "passphrase=$PHRASE")"
eq "... status_code 2051" 2051 "$(sc)"
eq "an encrypted PDF: 400" 400 "$(post /api/sign/pdf -F "file=@$CORPUS/bad-encrypted.pdf" -F nik=$NIK -F "passphrase=$PHRASE")"
eq "... status_code 2052" 2052 "$(sc)"
eq "a wrong Basic password: 401" 401 "$(curl -s -o "$TMP/body" -w '%{http_code}' --cacert "$D/ca.pem" \
	-u "agency-app:$(printf '%064d' 0)" -F "file=@$PDF" -F nik=$NIK -F "passphrase=$PHRASE" "$URL/api/sign/pdf")"
eq "... status_code 2011" 2011 "$(sc)"
eq "the right token under another name: 401" 401 "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$D/ca.pem" \
	-u "va:$APPTOK" -F "file=@$PDF" -F nik=$NIK -F "passphrase=$PHRASE" "$URL/api/sign/pdf")"
eq "tag_koordinat not in the document: 400 2058" "400 2058" "$(post /api/sign/pdf -F "file=@$PDF" -F nik=$NIK \
	-F "passphrase=$PHRASE" -F tampilan=visible -F width=150 -F height=60 -F tag_koordinat='#ttd#') $(sc)"
eq "... and none of these refusals changed the store" "$S0" "$(state_sum)"
eq "a wrong passphrase: 400" 400 "$(post /api/sign/pdf -F "file=@$PDF" -F nik=$NIK -F passphrase=salah)"
eq "... {\"error\":\"Passphrase anda salah\",\"status_code\":2031}" "Passphrase anda salah 2031" \
	"$(jget "$TMP/body" error) $(sc)"
eq "v1 /api/user/status/{nik}: ISSUE" ISSUE "$(post /api/user/status/$NIK -X GET >/dev/null; jget "$TMP/body" status)"
eq "... its status_code and message as the node client's README sample" \
	"1111 User sudah terdaftar dan memiliki sertifikat dengan status ISSUE" "$(sc) $(jget "$TMP/body" message)"
eq "... an unknown NIK: 200, status_code 1110 \"User belum terdaftar\", NOT_REGISTERED (the README sample)" \
	"200 1110 User belum terdaftar NOT_REGISTERED" "$(post /api/user/status/3171000000009999 -X GET) $(sc) \
$(jget "$TMP/body" message) $(jget "$TMP/body" status)"
$VA --json user register --name "Baru" --nik 3171000000000008 --email baru@agency.go.id --unit X >/dev/null
eq "... a registration not yet verified: WAITING_FOR_VERIFICATION" WAITING_FOR_VERIFICATION \
	"$(post /api/user/status/3171000000000008 -X GET >/dev/null; jget "$TMP/body" status)"
# The BSrE routes sign at bsre_level, B-T by default: the signature
# carries a timestamp token from the appliance's TSA (openssl judges it).
cms_of "$TMP/v1.pdf" "$TMP/v1cms"
check "a BSrE signature carries id-aa-signatureTimeStampToken (B-T default)" tst_of "$TMP/v1cms"
check "... openssl ts -verify: the token stamps the signature value" bash -c \
	"openssl ts -verify -token_in -in '$TMP/v1cms.tst' -data '$TMP/v1cms.sigval' -CAfile '$D/ca.pem' -untrusted '$D/issuing-ca.pem' | grep -q 'Verification: OK'"
check "... openssl cms -verify over the byte range" openssl cms -verify -binary -inform DER \
	-in "$TMP/v1cms.der" -content "$TMP/v1cms.data" -CAfile "$D/ca.pem" -out /dev/null
check "... pdfsig: valid" bash -c "pdfsig '$TMP/v1.pdf' | grep -q 'Signature is Valid'"

# v1 verify answers in the shapes of BSrE's documented samples.
eq "v1 /api/sign/verify: 200" 200 "$(post /api/sign/verify -F "signed_file=@$TMP/v1.pdf;filename=surat-keputusan.pdf")"
cp "$TMP/body" "$TMP/v1verify.json"
V1J=$TMP/v1verify.json
eq "... nama_dokumen is the uploaded file's name, not the field's" surat-keputusan.pdf "$(jget "$V1J" nama_dokumen)"
eq "... summary \"DOCUMENT VALID !!!\", one signature" "DOCUMENT VALID !!! 1" \
	"$(jget "$V1J" summary) $(jget "$V1J" jumlah_signature)"
eq "... notes as BSrE's for a timestamped valid document" \
	"Tanda tangan elektronik valid dan dokumen merupakan dokumen asli sejak ditandatangani" "$(jget "$V1J" notes)"
eq "... the signer and the integrity" "Rina Wati True" \
	"$(jget "$V1J" details.0.info_signer.signer_name) $(jget "$V1J" details.0.signature_document.document_integrity)"
eq "... info_tsa.name is the TSA's name, signed_using_tsa true" "esignd Demo Time Stamping Authority True" \
	"$(jget "$V1J" details.0.info_tsa.name) $(jget "$V1J" details.0.signature_document.signed_using_tsa)"
eq "... the native verdict and ETSI indication beside them" "valid TOTAL_PASSED valid TOTAL_PASSED B-T" \
	"$(jget "$V1J" verdict) $(jget "$V1J" indication) $(jget "$V1J" details.0.verdict) $(jget "$V1J" details.0.indication) $(jget "$V1J" details.0.pades_level)"
# Times as BSrE writes them: WIB (UTC+7), "YYYY-MM-DD HH:MM:SS.mmm",
# validities "FROM to TO"; checked against openssl's reading of the
# signer's certificate and the signature's /M.
openssl pkcs7 -inform DER -in "$TMP/v1cms.der" -print_certs 2>/dev/null | awk -v out="$TMP/cert" \
	'/BEGIN CERT/{n++} {print > (out n ".pem")}'
SIGNER=$(grep -l . "$TMP"/cert*.pem | while read -r c; do
	openssl x509 -in "$c" -noout -subject 2>/dev/null | grep -q 'Rina Wati' && echo "$c"; done | head -1)
wib() { # wib "openssl date" -> "YYYY-MM-DD HH:MM:SS.000" in UTC+7
	TZ=UTC date -d "@$(( $(date -d "$1" +%s) + 7 * 3600 ))" '+%Y-%m-%d %H:%M:%S.000'
}
NB=$(openssl x509 -in "$SIGNER" -noout -startdate | cut -d= -f2)
NA=$(openssl x509 -in "$SIGNER" -noout -enddate | cut -d= -f2)
eq "... signer_cert_validity \"FROM to TO\" in WIB (openssl x509 -dates)" "$(wib "$NB") to $(wib "$NA")" \
	"$(jget "$V1J" details.0.info_signer.signer_cert_validity)"
M=$(grep -a -o '/M *(D:[0-9]\{14\}' "$TMP/v1.pdf" | tail -1 | sed 's/.*D://')
eq "... signed_in is /M in WIB" "$(wib "${M:0:4}-${M:4:2}-${M:6:2} ${M:8:2}:${M:10:2}:${M:12:2} UTC")" \
	"$(jget "$V1J" details.0.signature_document.signed_in)"
check "... tsa_cert_validity \"FROM to TO\"" $PY -c 'import json, re, sys
v = json.load(open(sys.argv[1]))["details"][0]["info_tsa"]["tsa_cert_validity"]
t = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}"
sys.exit(0 if re.fullmatch(t + " to " + t, v) else 1)' "$V1J"
# hash_value: the messageDigest, the SHA-256 of the signed bytes;
# signature_value: the signed attributes, the bytes the signature covers
# (openssl dgst -verify with the signer's key over them).
eq "... hash_value is the SHA-256 of the byte range (sha256sum)" "$(sha256sum "$TMP/v1cms.data" | cut -d' ' -f1)" \
	"$(jget "$V1J" details.0.signature_document.hash_value)"
jget "$V1J" details.0.signature_document.signature_value | xxd -r -p >"$TMP/v1attrs.der"
openssl x509 -in "$SIGNER" -noout -pubkey >"$TMP/signer.pub"
check "... signature_value is the signed attributes (openssl dgst -verify with the signer's key)" bash -c \
	"openssl dgst -sha256 -verify '$TMP/signer.pub' -signature '$TMP/v1cms.sigval' '$TMP/v1attrs.der' | grep -q 'Verified OK'"
eq "an unsigned document: summary and notes null, no details (the samples)" "200 None None 0 []" \
	"$(post /api/sign/verify -F "signed_file=@$PDF;filename=remote.pdf") $(jget "$TMP/body" summary) \
$(jget "$TMP/body" notes) $(jget "$TMP/body" jumlah_signature) $(jget "$TMP/body" details)"
eq "... verdict unsigned, nama_dokumen still the file's name" "unsigned remote.pdf" \
	"$(jget "$TMP/body" verdict) $(jget "$TMP/body" nama_dokumen)"
# A document changed after signing (a later revision replaces page 1's
# content): never "DOCUMENT VALID !!!".
$PY - "$TMP/v1.pdf" "$TMP/v1-changed.pdf" <<'PYEOF'
import re, sys
d = open(sys.argv[1], 'rb').read()
sx = int(re.findall(rb'startxref\s+(\d+)', d)[-1])
root = re.findall(rb'/Root\s+(\d+) 0 R', d)[-1].decode()
size = int(re.findall(rb'/Size\s+(\d+)', d)[-1])
cat = re.findall(rb'(?<![0-9])' + root.encode() + rb' 0 obj(.*?)endobj', d, re.S)[-1]
pages = re.search(rb'/Pages\s+(\d+) 0 R', cat).group(1).decode()
p1, pb = pages, b'/Kids'
while b'/Kids' in pb:   # down the page tree to page 1
    node = re.findall(rb'(?<![0-9])' + p1.encode() + rb' 0 obj(.*?)endobj', d, re.S)[-1]
    k = re.search(rb'/Kids\s*\[\s*(\d+) 0 R', node)
    if k is None:
        pb = node
        break
    p1 = k.group(1).decode()
    pb = re.findall(rb'(?<![0-9])' + p1.encode() + rb' 0 obj(.*?)endobj', d, re.S)[-1]
body = re.sub(rb'/Contents\s+(\d+ 0 R|\[[^\]]*\])', b'/Contents %d 0 R' % size, pb)
text = b'BT /F1 24 Tf 72 720 Td (DIBAYAR LUNAS) Tj ET'
out = d + b'\n'
o1 = len(out); out += p1.encode() + b' 0 obj' + body + b'endobj\n'
o2 = len(out); out += b'%d 0 obj<</Length %d>>stream\n' % (size, len(text)) + text + b'\nendstream endobj\n'
x = len(out)
out += b'xref\n%s 1\n%010d 00000 n \n%d 1\n%010d 00000 n \n' % (p1.encode(), o1, size, o2)
out += b'trailer<</Size %d/Root %s 0 R/Prev %d>>\nstartxref\n%d\n%%%%EOF\n' % (size + 1, root.encode(), sx, x)
open(sys.argv[2], 'wb').write(out)
PYEOF
eq "a document changed after signing: \"DOCUMENT NOT VALID !!!\", integrity false" \
	"200 DOCUMENT NOT VALID !!! False invalid modified_after_signing" \
	"$(post /api/sign/verify -F "signed_file=@$TMP/v1-changed.pdf") $(jget "$TMP/body" summary) \
$(jget "$TMP/body" details.0.signature_document.document_integrity) $(jget "$TMP/body" verdict) $(jget "$TMP/body" details.0.failure)"
eq "... notes as BSrE's for a changed document" "Konten Dokumen mengalami perubahan oleh pihak yang tidak berhak" \
	"$(jget "$TMP/body" notes)"
check "... the revision analysis beside it (modifications)" bash -c "grep -q '\"modifications\"' '$TMP/body' && grep -q '\"other\"' '$TMP/body'"

# v2: JSON with base64 files, several per call.
B64=$(base64 -w0 "$PDF")
v2() { # v2 PATH JSON -> status (the body on stdin, as is: files are large)
	post "$1" -H 'Content-Type: application/json' --data-binary @- <<<"$2"
}
v2sign() { v2 /api/v2/sign/pdf "$1"; }
eq "v2 /api/v2/sign/pdf with 3 files: 200" 200 "$(v2sign "{\"nik\":\"$NIK\",\"passphrase\":\"$PHRASE\",
	\"signatureProperties\":[{\"tampilan\":\"INVISIBLE\"},{\"tampilan\":\"INVISIBLE\",\"reason\":\"Setuju\"},
	{\"tampilan\":\"VISIBLE\",\"page\":1,\"originX\":50,\"originY\":50,\"width\":200,\"height\":80}],
	\"file\":[\"$B64\",\"$B64\",\"$B64\"]}")"
for i in 0 1 2; do
	jget "$TMP/body" "file.$i" | base64 -d >"$TMP/v2-$i.pdf"
	check "file $i is signed and valid (pdfsig, qpdf)" bash -c \
		"pdfsig '$TMP/v2-$i.pdf' | grep -q 'Signature is Valid' && qpdf --check '$TMP/v2-$i.pdf' >/dev/null"
done
B64L=$(base64 -w0 "$TMP/letter.pdf")
eq "v2 with tag_koordinat: 200" 200 "$(v2sign "{\"nik\":\"$NIK\",\"passphrase\":\"$PHRASE\",
	\"signatureProperties\":[{\"tampilan\":\"VISIBLE\",\"tag_koordinat\":\"#ttd#\",\"width\":120,\"height\":50}],
	\"file\":[\"$B64L\"]}")"
jget "$TMP/body" file.0 | base64 -d >"$TMP/v2tag.pdf"
check "... valid (pdfsig)" bash -c "pdfsig '$TMP/v2tag.pdf' | grep -q 'Signature is Valid'"
eq "... its box at the marker" "360 160 480 210" "$(widget_rect "$TMP/v2tag.pdf")"
eq "v2 with a tag not in one of the files: 400 2058, nothing signed" "400 2058" \
	"$(v2sign "{\"nik\":\"$NIK\",\"passphrase\":\"$PHRASE\",\"signatureProperties\":[{\"tampilan\":\"VISIBLE\",
	\"tag_koordinat\":\"#ttd#\",\"width\":120,\"height\":50},{\"tampilan\":\"VISIBLE\",\"tag_koordinat\":\"#ttd#\",
	\"width\":120,\"height\":50}],\"file\":[\"$B64L\",\"$B64\"]}") $(sc)"
eq "by email instead of NIK: 200" 200 "$(v2sign "{\"email\":\"RINA@agency.go.id\",\"passphrase\":\"$PHRASE\",\"file\":[\"$B64\"]}")"
S1=$(state_sum)
eq "bad base64: 400 2055" "400 2055" "$(v2sign "{\"nik\":\"$NIK\",\"passphrase\":\"$PHRASE\",\"file\":[\"@@@\"]}") $(sc)"
eq "properties that do not match the files: 400" 400 "$(v2sign "{\"nik\":\"$NIK\",\"passphrase\":\"$PHRASE\",
	\"signatureProperties\":[{},{}],\"file\":[\"$B64\"]}")"
eq "malformed JSON: 400" 400 "$(v2sign '{"nik":')"
eq "... none of them changed the store" "$S1" "$(state_sum)"
# v2: a one-time code emailed to the signer, for N files.
eq "v2 /api/v2/sign/get/totp for 2 files: 200" 200 "$(post /api/v2/sign/get/totp -d "{\"nik\":\"$NIK\",\"data\":2}")"
OTP=""
for _ in $(seq 100); do
	OTP=$(grep -l "^To: rina@agency.go.id" "$D"/mail/new/* 2>/dev/null | xargs -r grep -l 'Kode sekali pakai' | \
		xargs -r grep -h -o 'Kode: [A-Z0-9]\{5\}-[A-Z0-9]\{5\}' | head -1 | cut -d' ' -f2)
	[ -n "$OTP" ] && break
	sleep 0.1
done
check "the signer receives the one-time code by email" test ${#OTP} -eq 11
eq "a wrong one-time code: 400 2031" "400 2031" "$(v2sign "{\"nik\":\"$NIK\",\"totp\":\"AAAAA-AAAAA\",\"file\":[\"$B64\"]}") $(sc)"
eq "2 files signed with it: 200" 200 "$(v2sign "{\"nik\":\"$NIK\",\"totp\":\"$OTP\",\"file\":[\"$B64\",\"$B64\"]}")"
jget "$TMP/body" file.1 | base64 -d >"$TMP/otp.pdf"
check "... valid (pdfsig)" bash -c "pdfsig '$TMP/otp.pdf' | grep -q 'Signature is Valid'"
eq "a third file: refused (400 2031)" "400 2031" "$(v2sign "{\"nik\":\"$NIK\",\"totp\":\"$OTP\",\"file\":[\"$B64\"]}") $(sc)"
eq "v2 /api/v2/user/check/status by email: ISSUE" ISSUE \
	"$(post /api/v2/user/check/status -d '{"email":"rina@agency.go.id"}' >/dev/null; jget "$TMP/body" status)"

# v2 registration: waits for a verifier.
eq "v2 /api/v2/user/register: 200" 200 "$(post /api/v2/user/register -d '{"nama":"Joko","email":"joko@agency.go.id"}')"
eq "... WAITING_FOR_VERIFICATION" WAITING_FOR_VERIFICATION "$(jget "$TMP/body" status)"
JOKO=$(jget "$TMP/body" idSubscriber)
eq "v2 check status by email says so too" WAITING_FOR_VERIFICATION \
	"$(post /api/v2/user/check/status -d '{"email":"joko@agency.go.id"}' >/dev/null; jget "$TMP/body" status)"
check "a verifier sees it in the queue" bash -c "$VA --json request list --subscriber $JOKO | grep -q pending"
eq "without nama: 400 2055" "400 2055" "$(post /api/v2/user/register -d '{"email":"x@agency.go.id"}') $(sc)"

# v2 seals: activation by email, a seal code for N files, sealing.
eq "v2 /api/v2/seal/get/activation: 200" 200 "$(post /api/v2/seal/get/activation -d "{\"idSubscriber\":\"$SEAL\"}")"
EXP=$(jget "$TMP/body" expired)
check "... with the activation's expiry" bash -c "echo '$EXP' | grep -q '^20[0-9-]*T[0-9:]*Z$'"
AC=$(mail_code segel@agency.go.id)
check "the officer receives the activation code" test ${#AC} -eq 11
eq "v2 /api/v2/seal/get/totp for 2 files: 200" 200 "$(post /api/v2/seal/get/totp \
	-d "{\"idSubscriber\":\"$SEAL\",\"data\":2,\"totp\":\"$AC\"}")"
SC=$(jget "$TMP/body" totp)
eq "a wrong activation code: 400 2041" "400 2041" "$(post /api/v2/seal/get/totp \
	-d "{\"idSubscriber\":\"$SEAL\",\"data\":2,\"totp\":\"AAAAA-AAAAA\"}") $(sc)"
eq "v2 /api/v2/seal/pdf with 2 files: 200" 200 "$(v2 /api/v2/seal/pdf "{\"idSubscriber\":\"$SEAL\",\"totp\":\"$SC\",\"file\":[\"$B64\",\"$B64\"]}")"
jget "$TMP/body" file.1 | base64 -d >"$TMP/sealed.pdf"
check "the sealed file is valid (pdfsig)" bash -c "pdfsig '$TMP/sealed.pdf' | grep -q 'Signature is Valid'"
eq "a third file on that code: 400 2041" "400 2041" "$(v2 /api/v2/seal/pdf "{\"idSubscriber\":\"$SEAL\",\"totp\":\"$SC\",\"file\":[\"$B64\"]}") $(sc)"
post /api/v2/seal/get/totp -d "{\"idSubscriber\":\"$SEAL\",\"data\":2,\"totp\":\"$AC\"}" >/dev/null
SC2=$(jget "$TMP/body" totp)
eq "3 files on a code for 2: refused (400 2041)" "400 2041" "$(v2 /api/v2/seal/pdf "{\"idSubscriber\":\"$SEAL\",\"totp\":\"$SC2\",\"file\":[\"$B64\",\"$B64\",\"$B64\"]}") $(sc)"
B64S=$(base64 -w0 "$TMP/sealed.pdf")
post /api/v2/seal/get/totp -d "{\"idSubscriber\":\"$SEAL\",\"data\":5,\"totp\":\"$AC\"}" >/dev/null
SC3=$(jget "$TMP/body" totp)
eq "sealing a sealed document: 409 2053" "409 2053" "$(v2 /api/v2/seal/pdf "{\"idSubscriber\":\"$SEAL\",\"totp\":\"$SC3\",\"file\":[\"$B64S\"]}") $(sc)"
# The documents are taken out of the JSON before it is parsed
# (api/bsre_v2.c take_files): what encoders send must still work, and
# what is not JSON must still be refused.
B64E=$(printf '%s' "$B64" | sed 's|/|\\/|g')
check "(the test document's base64 has slashes to escape)" grep -q '\\/' <<<"$B64E"
eq "v2 seal with every '/' escaped as '\\/' (PHP's json_encode): 200" 200 \
	"$(v2 /api/v2/seal/pdf "{\"idSubscriber\":\"$SEAL\",\"totp\":\"$SC3\",\"file\":[\"$B64E\"]}")"
jget "$TMP/body" file.0 | base64 -d >"$TMP/escaped.pdf"
check "... valid (pdfsig)" bash -c "pdfsig '$TMP/escaped.pdf' | grep -q 'Signature is Valid'"
# certificationLevel: a certification seal (DocMDP P=2), judged by the
# native verifier; a level out of range and a signed document are refused
eq "v2 seal with certificationLevel \"2\": 200" 200 "$(v2 /api/v2/seal/pdf "{\"idSubscriber\":\"$SEAL\",\"totp\":\"$SC3\",\"signatureProperties\":[{\"certificationLevel\":\"2\"}],\"file\":[\"$B64\"]}")"
jget "$TMP/body" file.0 | base64 -d >"$TMP/certified.pdf"
check "... a certification with DocMDP P=2 (/v1/verify)" bash -c "curl -s --cacert '$D/ca.pem' \
	-F 'file=@$TMP/certified.pdf;type=application/pdf' '$URL/v1/verify' |
	grep -q '\"certification\":{\"docmdp_p\":2,'"
check "... /Perms /DocMDP in the catalog (qpdf)" bash -c "qpdf --json=2 --json-key=qpdf '$TMP/certified.pdf' | grep -q '\"/DocMDP\"'"
eq "certificationLevel 4: 400 2055" "400 2055" "$(v2 /api/v2/seal/pdf "{\"idSubscriber\":\"$SEAL\",\"totp\":\"$SC3\",\"signatureProperties\":[{\"certificationLevel\":4}],\"file\":[\"$B64\"]}") $(sc)"
eq "certificationLevel on a signed document: 409 2053" "409 2053" "$(v2 /api/v2/seal/pdf "{\"idSubscriber\":\"$SEAL\",\"totp\":\"$SC3\",\"signatureProperties\":[{\"certificationLevel\":1}],\"file\":[\"$B64S\"]}") $(sc)"
eq "certificationLevel on /api/v2/sign/pdf: 400 2055" "400 2055" "$(v2sign "{\"nik\":\"$NIK\",\"passphrase\":\"$PHRASE\",\"signatureProperties\":[{\"certificationLevel\":1}],\"file\":[\"$B64\"]}") $(sc)"
eq "a number among the files: 400 2055" "400 2055" \
	"$(v2 /api/v2/seal/pdf "{\"idSubscriber\":\"$SEAL\",\"totp\":\"$SC3\",\"file\":[\"$B64\",1]}") $(sc)"
eq "a raw line break inside a file's string: 400 2055" "400 2055" \
	"$(v2 /api/v2/seal/pdf "{\"idSubscriber\":\"$SEAL\",\"totp\":\"$SC3\",\"file\":[\"$B64
\"]}") $(sc)"
eq "'file' given twice: 400 2055" "400 2055" \
	"$(v2 /api/v2/seal/pdf "{\"idSubscriber\":\"$SEAL\",\"totp\":\"$SC3\",\"file\":[\"$B64\"],\"file\":[\"$B64\"]}") $(sc)"
eq "an unterminated file string: 400 2055" "400 2055" \
	"$(v2 /api/v2/seal/pdf "{\"idSubscriber\":\"$SEAL\",\"totp\":\"$SC3\",\"file\":[\"$B64") $(sc)"
printf '{"a":[\0],"file":["QUJD"]}' >"$TMP/nul.json"
eq "a NUL before the files (a hang the fuzzer found): 400 2055" "400 2055" \
	"$(post /api/v2/seal/pdf -H 'Content-Type: application/json' --max-time 10 \
		--data-binary @"$TMP/nul.json") $(sc)"
eq "v2 verify of an escaped document: 200 VALID" "200 VALID" \
	"$(v2 /api/v2/verify/pdf "{\"file\":\"$(base64 -w0 "$TMP/sealed.pdf" | sed 's|/|\\/|g')\"}") $(jget "$TMP/body" conclusion)"
eq "v2 /api/v2/seal/revoke/activation: 200" 200 "$(post /api/v2/seal/revoke/activation \
	-d "{\"idSubscriber\":\"$SEAL\",\"totp\":\"$AC\"}")"
eq "a code of the revoked activation: 400 2041" "400 2041" "$(v2 /api/v2/seal/pdf "{\"idSubscriber\":\"$SEAL\",\"totp\":\"$SC3\",\"file\":[\"$B64\"]}") $(sc)"
eq "v2 /api/v2/verify/pdf: 200" 200 "$(v2 /api/v2/verify/pdf "{\"file\":\"$B64S\"}")"
eq "... conclusion VALID, integrity valid" "VALID True" \
	"$(jget "$TMP/body" conclusion) $(jget "$TMP/body" signatureInformations.0.integrityValid)"
# What the public BSrE client libraries send and read (docs/bsre-compat.md,
# "Clients"): each request below is shaped as a client's documented usage.
widget_page() { # the page (from 1) that shows the signature widget
	qpdf --json=2 --json-key=pages --json-key=qpdf "$1" | $PY -c 'import json,sys
d=json.load(sys.stdin); o=d["qpdf"][1]
sig=[k for k,v in o.items() if isinstance(v.get("value"),dict) and v["value"].get("/FT")=="/Sig" and "/Rect" in v["value"]]
for i,p in enumerate(d["pages"]):
	a=o.get("obj:"+p["object"],{}).get("value",{}).get("/Annots",[])
	if isinstance(a,str): a=o.get("obj:"+a,{}).get("value",[])
	if any("obj:"+x in sig for x in a if isinstance(x,str)): print(i+1)'
}
# Go client, application code: halaman and jenis_response beside the
# fields, on a 17-page document.
eq "v1 with halaman=TERAKHIR, jenis_response=BASE64: 200" 200 "$(post /api/sign/pdf -F "file=@$PDF" \
	-F nik=$NIK -F "passphrase=$PHRASE" -F tampilan=visible -F halaman=TERAKHIR -F jenis_response=BASE64 \
	-F xAxis=40 -F yAxis=40 -F width=200 -F height=80)"
# BSrE answers BASE64 as JSON: integrations read base64_signed_file
# (and id_dokumen) from it.
check "... application/json" grep -qi '^Content-Type: application/json' "$TMP/headers"
jget "$TMP/body" base64_signed_file | base64 -d >"$TMP/b64.pdf" 2>/dev/null
check "... base64_signed_file is the signed PDF (pdfsig: valid)" bash -c "pdfsig '$TMP/b64.pdf' | grep -q 'Signature is Valid'"
check "... with the id_dokumen header" grep -qi '^id_dokumen: [0-9a-f]\{64\}' "$TMP/headers"
eq "... and id_dokumen in the JSON, the same, the SHA-256 of the PDF" \
	"$(sed -n 's/^id_dokumen: *\([0-9a-f]*\).*/\1/Ip' "$TMP/headers" | tr -d '\r') $(sha256sum "$TMP/b64.pdf" | cut -d' ' -f1)" \
	"$(jget "$TMP/body" id_dokumen) $(jget "$TMP/body" id_dokumen)"
eq "... the box is on the last page (17)" 17 "$(widget_page "$TMP/b64.pdf")"
eq "halaman=PERTAMA, jenis_response=BYTE: 200, the PDF itself" 200 "$(post /api/sign/pdf -F "file=@$PDF" \
	-F nik=$NIK -F "passphrase=$PHRASE" -F tampilan=visible -F halaman=PERTAMA -F jenis_response=BYTE \
	-F page=5 -F xAxis=40 -F yAxis=40 -F width=200 -F height=80)"
cp "$TMP/body" "$TMP/first.pdf"
eq "... the box is on the first page" 1 "$(widget_page "$TMP/first.pdf")"
eq "halaman=TENGAH: 400 2055" "400 2055" "$(post /api/sign/pdf -F "file=@$PDF" -F nik=$NIK \
	-F "passphrase=$PHRASE" -F halaman=TENGAH) $(sc)"
eq "a field esignd does not know (ignored, as BSrE does): 200" 200 "$(post /api/sign/pdf -F "file=@$PDF" \
	-F nik=$NIK -F "passphrase=$PHRASE" -F tampilan=invisible -F kategori=surat)"
# The log line tells an operator which fields clients send; only once.
post /api/sign/pdf -F "file=@$PDF" -F nik=$NIK -F "passphrase=$PHRASE" -F kategori=surat >/dev/null
eq "... named in the log once" 1 "$(grep -c "ignoring field 'kategori'" "$TMP/daemon.log")"
eq "the native form stays strict: halaman on /v1/seal is 400 bad_request" "400 bad_request" \
	"$(post /v1/seal -F "file=@$PDF" -F "key=$SEAL" -F halaman=PERTAMA) $(json_err)"
# imageTTD twice (a form builder appending the image again): the first.
pdftoppm -r 10 -f 2 -l 2 -png "$PDF" "$TMP/ttd2" >/dev/null 2>&1
eq "imageTTD given twice: 200 (the first is drawn)" 200 "$(post /api/sign/pdf -F "file=@$PDF" \
	-F nik=$NIK -F "passphrase=$PHRASE" -F tampilan=visible -F image=true -F "imageTTD=@$TTD;type=image/png" \
	-F "imageTTD=@$(ls "$TMP"/ttd2*.png | head -1);type=image/png" -F xAxis=40 -F yAxis=40 -F width=300 -F height=100)"
check "... valid (pdfsig)" bash -c "pdfsig '$TMP/body' | grep -q 'Signature is Valid'"
qpdf --qdf --object-streams=disable "$TMP/body" "$TMP/twice.pdf"
W1=$($PY -c 'import struct,sys; print(struct.unpack(">I", open(sys.argv[1],"rb").read()[16:20])[0])' "$TTD")
check "... the image drawn is the first one (its width, $W1)" grep -a -q "/Width $W1\b" "$TMP/twice.pdf"
# A client README's configuration: coordinates with many decimals.
eq "xAxis=410.21347882534775 (a README's configuration): 200" 200 "$(post /api/sign/pdf -F "file=@$PDF" \
	-F nik=$NIK -F "passphrase=$PHRASE" -F tampilan=visible -F page=1 -F xAxis=410.21347882534775 \
	-F yAxis=100.5000000000001 -F width=120.25 -F height=60.125)"
eq "... the box where asked" "410 100 530 161" "$(widget_rect "$TMP/body")"
eq "a coordinate over 64 bytes: 400 2055, naming the field" "400 2055 yes" "$(post /api/sign/pdf -F "file=@$PDF" \
	-F nik=$NIK -F "passphrase=$PHRASE" -F tampilan=visible -F "yAxis=0.$(printf '%080d' 1)") $(sc) $(jget "$TMP/body" detail | grep -q yAxis && echo yes)"
eq "a coordinate that is no number: 400 2055, naming the field" "400 2055 yes" "$(post /api/sign/pdf -F "file=@$PDF" \
	-F nik=$NIK -F "passphrase=$PHRASE" -F tampilan=visible -F xAxis=kiri) $(sc) $(jget "$TMP/body" detail | grep -q xAxis && echo yes)"
# PHP/Guzzle multipart sends true as "1".
for v in 1 TRUE; do
	eq "image=$v with imageTTD: 200" 200 "$(post /api/sign/pdf -F "file=@$PDF" -F nik=$NIK \
		-F "passphrase=$PHRASE" -F tampilan=visible -F image=$v -F "imageTTD=@$TTD;type=image/png" \
		-F xAxis=40 -F yAxis=40 -F width=300 -F height=100)"
	qpdf --qdf --object-streams=disable "$TMP/body" "$TMP/img-$v.pdf"
done
post /api/sign/pdf -F "file=@$PDF" -F nik=$NIK -F "passphrase=$PHRASE" -F tampilan=visible -F image=0 \
	-F "imageTTD=@$TTD;type=image/png" -F xAxis=40 -F yAxis=40 -F width=300 -F height=100 >/dev/null
qpdf --qdf --object-streams=disable "$TMP/body" "$TMP/img-0.pdf"
N0=$(grep -a -c '/Subtype /Image' "$TMP/img-0.pdf")
check "... the specimen is drawn for image=1 and image=TRUE, not for image=0" bash -c \
	"[ \$(grep -a -c '/Subtype /Image' '$TMP/img-1.pdf') -gt $N0 ] && [ \$(grep -a -c '/Subtype /Image' '$TMP/img-TRUE.pdf') -gt $N0 ]"
eq "image=maybe: 400 2055" "400 2055" "$(post /api/sign/pdf -F "file=@$PDF" -F nik=$NIK \
	-F "passphrase=$PHRASE" -F tampilan=visible -F image=maybe -F "imageTTD=@$TTD;type=image/png" \
	-F xAxis=40 -F yAxis=40 -F width=300 -F height=100) $(sc)"
eq "GET /api/sign/download/{id}: 200 with the id_dokumen header" "200 $IDDOK" \
	"$(post /api/sign/download/$IDDOK -X GET) $(sed -n 's/^id_dokumen: *\([0-9a-f]*\).*/\1/Ip' "$TMP/headers" | tr -d '\r')"
# A request without any credential: BSrE's form.
eq "no credential: 401 2011 in BSrE's form" "401 2011 Autentikasi klien gagal" \
	"$(curl -s -o "$TMP/body" -w '%{http_code}' --cacert "$D/ca.pem" -F "file=@$PDF" -F nik=$NIK \
	"$URL/api/sign/pdf") $(sc) $(jget "$TMP/body" error)"
# esign-ts: sign(['a.pdf','b.pdf'], [SignatureProperties.invisible()], …)
eq "v2: one signatureProperties entry for 2 files: 200, both signed" "200 2" "$(v2sign "{\"nik\":\"$NIK\",
	\"passphrase\":\"$PHRASE\",\"signatureProperties\":[{\"tampilan\":\"INVISIBLE\",\"reason\":\"Setuju\"}],
	\"file\":[\"$B64\",\"$B64\"]}") $(jget "$TMP/body" file | $PY -c 'import sys,ast; print(len(ast.literal_eval(sys.stdin.read())))' 2>/dev/null)"
jget "$TMP/body" file.1 | base64 -d >"$TMP/one4all.pdf"
check "... the second file carries the one entry's reason (pdfsig: valid)" bash -c \
	"pdfsig '$TMP/one4all.pdf' | grep -q 'Signature is Valid' && grep -a -q '/Reason *(Setuju)' '$TMP/one4all.pdf'"
eq "2 entries for 3 files: 400 2055" "400 2055" "$(v2sign "{\"nik\":\"$NIK\",\"passphrase\":\"$PHRASE\",
	\"signatureProperties\":[{},{}],\"file\":[\"$B64\",\"$B64\",\"$B64\"]}") $(sc)"
eq "v2 POST /api/v2/user/registration (esign-ts): 200 WAITING_FOR_VERIFICATION" "200 WAITING_FOR_VERIFICATION" \
	"$(post /api/v2/user/registration -d '{"nama":"Sri","email":"sri@agency.go.id"}') $(jget "$TMP/body" status)"
eq "v2 numbers as strings (\"page\":\"1\",\"originX\":\"400\"): 200" 200 "$(v2sign "{\"nik\":\"$NIK\",
	\"passphrase\":\"$PHRASE\",\"signatureProperties\":[{\"tampilan\":\"VISIBLE\",\"page\":\"1\",\"originX\":\"400\",
	\"originY\":\"50.5\",\"width\":\"100\",\"height\":\"40\"}],\"file\":[\"$B64\"]}")"
jget "$TMP/body" file.0 | base64 -d >"$TMP/strnum.pdf"
eq "... the box where asked" "400 50 500 90" "$(widget_rect "$TMP/strnum.pdf")"
eq "v2 reason and location \"null\": 200" 200 "$(v2sign "{\"nik\":\"$NIK\",\"passphrase\":\"$PHRASE\",
	\"signatureProperties\":[{\"tampilan\":\"INVISIBLE\",\"reason\":\"null\",\"location\":\"null\"}],\"file\":[\"$B64\"]}")"
jget "$TMP/body" file.0 | base64 -d >"$TMP/nullreason.pdf"
check "... absent from the signature, not the word" bash -c \
	"pdfsig '$TMP/nullreason.pdf' | grep -q 'Signature is Valid' && ! grep -a -q '(null)' '$TMP/nullreason.pdf' && \
	 ! grep -a -q '/Reason' '$TMP/nullreason.pdf'"
eq "\"page\":\"satu\": 400 2055" "400 2055" "$(v2sign "{\"nik\":\"$NIK\",\"passphrase\":\"$PHRASE\",
	\"signatureProperties\":[{\"tampilan\":\"VISIBLE\",\"page\":\"satu\"}],\"file\":[\"$B64\"]}") $(sc)"
eq "\"data\":\"2\" on get/totp: 200" 200 "$(post /api/v2/sign/get/totp -d "{\"nik\":\"$NIK\",\"data\":\"2\"}")"
# The Odoo addon reads message (and timestamp, path) of a v2 refusal.
eq "a v2 refusal carries message, timestamp and path" "2031 Passphrase anda salah /api/v2/sign/pdf yes" \
	"$(v2sign "{\"nik\":\"$NIK\",\"passphrase\":\"salah\",\"file\":[\"$B64\"]}" >/dev/null; sc) $(jget "$TMP/body" message) $(jget "$TMP/body" path) $(jget "$TMP/body" timestamp | grep -q '^20[0-9-]*T[0-9:]*Z$' && echo yes)"
eq "... a refusal before the route too (no credential)" "2011 Autentikasi klien gagal /api/v2/sign/pdf" \
	"$(curl -s -o "$TMP/body" --cacert "$D/ca.pem" -H 'Content-Type: application/json' -d '{}' \
	"$URL/api/v2/sign/pdf"; sc) $(jget "$TMP/body" message) $(jget "$TMP/body" path)"

# The public clients, each replayed from its documented usage.
. "$(dirname "$0")/bsre_clients.sh"

# Hostile: t_attacks.sh's corpus (incremental saving, signature wrapping,
# universal forgery, shadow attacks, /ByteRange and /Contents forgeries)
# through v1 verify: "DOCUMENT VALID !!!" exactly when the verifier says
# valid, never for an attack.
AS=$TMP/aseals
mkdir -p "$AS" "$TMP/attacks"
aseal() { curl -s -o "$2" -w '%{http_code}' --cacert "$D/ca.pem" -H "Authorization: Bearer $TOKEN" \
	-F "file=@$1;type=application/pdf" -F reason=Approved -F location=Jakarta "${@:3}" "$URL/v1/seal"; }
ABASE=$CORPUS/libreoffice-letter.pdf
$PY "$(dirname "$0")/attacks.py" prepare "$ABASE" "$TMP"
eq "attack corpus: its four seals (200)" "200 200 200 200" "$(aseal "$ABASE" "$AS/bb.pdf") \
$(aseal "$ABASE" "$AS/lta.pdf" -F level=B-LTA) $(aseal "$TMP/form.pdf" "$AS/form.pdf") $(aseal "$TMP/shadow.pdf" "$AS/shadow.pdf")"
cp "$TMP/shadow.info" "$AS/"
$PY "$(dirname "$0")/attacks.py" build "$AS" "$TMP/attacks"
NATT=0
while IFS=$'\t' read -r name verdict _ _; do
	[ -n "$name" ] || continue
	NATT=$((NATT + 1))
	want="DOCUMENT NOT VALID !!!"
	[ "$verdict" = valid ] && want="DOCUMENT VALID !!!"
	eq "attack $name: v1 verify says $want ($verdict)" "200 $want $verdict" \
		"$(post /api/sign/verify -F "signed_file=@$TMP/attacks/$name.pdf") $(jget "$TMP/body" summary) $(jget "$TMP/body" verdict)"
done <"$TMP/attacks/expected.tsv"
check "the attack corpus has its files ($NATT)" test "$NATT" -ge 20

check "audit verify" bash -c "$CTL --json audit verify | grep -q '\"ok\": true'"

# bsre_level: the BSrE routes' level. B-B: no timestamp, and v1 verify
# says so; a value that is no level stops the daemon at start.
esd_stop
printf 'bsre_level = B-B\n' >>"$D/esignd.conf"
esd_start
eq "bsre_level = B-B: v1 sign 200" 200 "$(post /api/sign/pdf -F "file=@$PDF" -F nik=$NIK -F "passphrase=$PHRASE")"
cp "$TMP/body" "$TMP/bb-level.pdf"
cms_of "$TMP/bb-level.pdf" "$TMP/bbcms"
check "... no timestamp token in the signature (openssl asn1parse)" bash -c "! tst_of '$TMP/bbcms'"
eq "... v1 verify: info_tsa.name null, signed_using_tsa false, B-B, the note without TSA" \
	"None False B-B Dokumen asli dan valid, tetapi dokumen tidak menggunakan waktu TSA" \
	"$(post /api/sign/verify -F "signed_file=@$TMP/bb-level.pdf" >/dev/null; jget "$TMP/body" details.0.info_tsa.name) \
$(jget "$TMP/body" details.0.signature_document.signed_using_tsa) $(jget "$TMP/body" details.0.pades_level) $(jget "$TMP/body" notes)"
esd_stop
sed -i 's/^bsre_level = B-B$/bsre_level = B-X/' "$D/esignd.conf"
eq "bsre_level = B-X: esignd refuses to start (EX_CONFIG), naming the key" "78 yes" \
	"$(timeout 20 "$ESIGND" -c "$D/esignd.conf" -f >"$TMP/badlevel.log" 2>&1; echo $?) \
$(grep -q 'bsre_level is B-B, B-T, B-LT or B-LTA' "$TMP/badlevel.log" && echo yes)"
sed -i '/^bsre_level = /d' "$D/esignd.conf"
finish
