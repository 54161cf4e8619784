# Sourced by t_bsre.sh: the public BSrE client libraries, each replayed
# from its documented usage (README, examples, tests), not its code: the
# request shapes it sends and the answer fields it reads
# (docs/bsre-compat.md "Public clients"). Every check is named after its
# client in brackets, so a run lists per-client results:
#   grep -o '^\(not \)\?ok - \[[a-z0-9-]*\]' | sort | uniq -c
# Needs t_bsre.sh's post, sc, v2, NIK, PHRASE, PDF, TTD and the helpers
# of lib.sh.

hdr() { sed -n "s/^$1: *//Ip" "$TMP/headers" | tr -d '\r' | tail -1; }
is_json() { hdr Content-Type | grep -qi '^application/json'; }
pdf_valid() { pdfsig "$1" 2>/dev/null | grep -q 'Signature is Valid'; }
N_IMG0=$(qpdf --qdf --object-streams=disable "$PDF" - 2>/dev/null | grep -a -c '/Subtype /Image')
$PY "$TOOLS/letter_pdf.py" "$TMP/hash-letter.pdf" '#' 300 150

# --- Diskominfotik Banda Aceh, E-Sign-BSrE-PHP (PHP, Guzzle) -----------
# setFile($file, $filename)->sign($nik, $passphrase): file (with its
# name), nik, passphrase, tampilan=invisible; getData() is the body
# (JSON-decoded only when Content-Type is application/json);
# ->verification(): signed_file with its name; getErrors() is
# message ?? error.
C='[banda-aceh-php]'
eq "$C sign: 200, the body is the signed PDF, not JSON" "200 no" "$(post /api/sign/pdf \
	-F "file=@$PDF;filename=surat-dinas.pdf;type=application/pdf" -F nik=$NIK -F "passphrase=$PHRASE" \
	-F tampilan=invisible) $(is_json && echo yes || echo no)"
cp "$TMP/body" "$TMP/c-aceh.pdf"
check "$C ... pdfsig: valid" pdf_valid "$TMP/c-aceh.pdf"
eq "$C verification: 200 JSON, nama_dokumen, summary, integrity" \
	"200 yes surat-dinas.pdf DOCUMENT VALID !!! True" "$(post /api/sign/verify \
	-F "signed_file=@$TMP/c-aceh.pdf;filename=surat-dinas.pdf") $(is_json && echo yes) \
$(jget "$TMP/body" nama_dokumen) $(jget "$TMP/body" summary) \
$(jget "$TMP/body" details.0.signature_document.document_integrity)"
eq "$C statusUser: 200 JSON, ISSUE" "200 ISSUE" "$(post /api/user/status/$NIK -X GET) $(jget "$TMP/body" status)"
eq "$C a wrong passphrase: 400, getErrors() (message ?? error)" "400 Passphrase anda salah" \
	"$(post /api/sign/pdf -F "file=@$PDF;filename=surat-dinas.pdf" -F nik=$NIK -F passphrase=salah \
	-F tampilan=invisible) $($PY -c 'import json,sys; b=json.load(open(sys.argv[1])); print(b.get("message") or b["error"])' "$TMP/body")"

# --- dptsi/laravel-esign-bsre (PHP, Laravel, Guzzle) --------------------
# cekStatusUser, sign (the file under its hashName), signVisibleWithSpesimen
# (image => true is sent as "1"; imageTTD goes under the PDF's hashName,
# a slip of the library: a PNG named .pdf), signVisibleWithQrCode
# (image => false is sent as ""). Reads the status, the body, message ?? error.
C='[laravel-dptsi]'
HN=Xq3LwR0c9pYbZ1mT7eKfVh2uNaJdGsE4oC8iW5lB.pdf
eq "$C cekStatusUser: 200, status ISSUE, status_code 1111" "200 ISSUE 1111" \
	"$(post /api/user/status/$NIK -X GET) $(jget "$TMP/body" status) $(sc)"
eq "$C sign (invisible): 200, the PDF" "200 no" "$(post /api/sign/pdf -F "file=@$PDF;filename=$HN" \
	-F nik=$NIK -F "passphrase=$PHRASE" -F tampilan=invisible) $(is_json && echo yes || echo no)"
check "$C ... pdfsig: valid" pdf_valid "$TMP/body"
eq "$C signVisibleWithSpesimen (image=1, imageTTD named .pdf): 200" 200 "$(post /api/sign/pdf \
	-F "file=@$PDF;filename=$HN" -F nik=$NIK -F "passphrase=$PHRASE" -F tampilan=visible -F image=1 \
	-F "imageTTD=@$TTD;filename=$HN;type=application/pdf" -F page=1 -F xAxis=100 -F yAxis=100 \
	-F width=200 -F height=80)"
cp "$TMP/body" "$TMP/c-dptsi-spec.pdf"
check "$C ... valid, the specimen drawn" bash -c "pdfsig '$TMP/c-dptsi-spec.pdf' | grep -q 'Signature is Valid' && \
	[ \$(qpdf --qdf --object-streams=disable '$TMP/c-dptsi-spec.pdf' - | grep -a -c '/Subtype /Image') -gt $N_IMG0 ]"
eq "$C signVisibleWithQrCode (image=\"\", linkQR): 200" 200 "$(post /api/sign/pdf -F "file=@$PDF;filename=$HN" \
	-F nik=$NIK -F "passphrase=$PHRASE" -F tampilan=visible -F image= -F linkQR=https://verify.example/d/1 \
	-F page=1 -F xAxis=100 -F yAxis=100 -F width=100 -F height=100)"
check "$C ... pdfsig: valid" pdf_valid "$TMP/body"
eq "$C a wrong passphrase: 400, message ?? error" "400 Passphrase anda salah" \
	"$(post /api/sign/pdf -F "file=@$PDF;filename=$HN" -F nik=$NIK -F passphrase=salah -F tampilan=invisible) \
$($PY -c 'import json,sys; b=json.load(open(sys.argv[1])); print(b.get("message") or b["error"])' "$TMP/body")"

# --- muhamadzaenudin/esignbsre (PHP, Guzzle) ------------------------------
# statusUser reads body['message']; sign sends file, nik, passphrase, then
# per type (imagettd, qr, tagkoordinat) its fields, image 'true'|'false'
# and tampilan last, and reads the id_dokumen header; verify sends
# signed_file as a stream (Guzzle names it after the path).
C='[esignbsre-php]'
eq "$C statusUser: body['message'] is set" "200 User sudah terdaftar dan memiliki sertifikat dengan status ISSUE" \
	"$(post /api/user/status/$NIK -X GET) $(jget "$TMP/body" message)"
eq "$C sign imagettd: 200 with an id_dokumen header" "200 64" "$(post /api/sign/pdf -F "file=@$PDF" -F nik=$NIK \
	-F "passphrase=$PHRASE" -F "imageTTD=@$TTD" -F page=1 -F xAxis=100 -F yAxis=120 -F width=150 \
	-F height=60 -F reason=Setuju -F location=Bandung -F image=true -F tampilan=visible) $(hdr id_dokumen | tr -d '\n' | wc -c)"
cp "$TMP/body" "$TMP/c-zaenudin.pdf"
check "$C ... valid, the specimen drawn" bash -c "pdfsig '$TMP/c-zaenudin.pdf' | grep -q 'Signature is Valid' && \
	[ \$(qpdf --qdf --object-streams=disable '$TMP/c-zaenudin.pdf' - | grep -a -c '/Subtype /Image') -gt $N_IMG0 ]"
eq "$C sign qr (imageTTD with image=false, linkQR): 200" 200 "$(post /api/sign/pdf -F "file=@$PDF" -F nik=$NIK \
	-F "passphrase=$PHRASE" -F "imageTTD=@$TTD" -F page=1 -F linkQR=https://verify.example/d/2 -F xAxis=100 \
	-F yAxis=120 -F width=100 -F height=100 -F image=false -F tampilan=visible)"
check "$C ... pdfsig: valid" pdf_valid "$TMP/body"
eq "$C sign tagkoordinat: 200, the box at the tag" "200 360 160 510 220" "$(post /api/sign/pdf \
	-F "file=@$TMP/letter.pdf" -F nik=$NIK -F "passphrase=$PHRASE" -F "imageTTD=@$TTD" -F width=150 \
	-F height=60 -F 'tag_koordinat=#ttd#' -F reason=Setuju -F location=Bandung -F image=true \
	-F tampilan=visible) $(widget_rect "$TMP/body")"
cp "$TMP/c-zaenudin.pdf" "$TMP/tes_sudah_esign.pdf"
eq "$C verify (a stream, named after its path): JSON, nama_dokumen, summary" \
	"200 tes_sudah_esign.pdf DOCUMENT VALID !!!" "$(post /api/sign/verify -F "signed_file=@$TMP/tes_sudah_esign.pdf") \
$(jget "$TMP/body" nama_dokumen) $(jget "$TMP/body" summary)"

# --- @rahadiana/node-esign-bsre (JavaScript, npm) -------------------------
# SignInvisible, SignQr, SignImageTTD (tag_koordinat), Verify (reads
# summary "DOCUMENT VALID !!!" / "DOCUMENT NOT VALID !!!" / null,
# nama_dokumen, jumlah_signature, notes, details), Status (status_code
# 1111 / 1110), DownloadDoc (the file and id_dokumen).
C='[node-esign-bsre]'
eq "$C SignInvisible: 200, the PDF and id_dokumen" "200 64" "$(post /api/sign/pdf -F "file=@$PDF;filename=file.pdf" \
	-F nik=$NIK -F "passphrase=$PHRASE") $(hdr id_dokumen | tr -d '\n' | wc -c)"
NODE_ID=$(hdr id_dokumen)
cp "$TMP/body" "$TMP/c-node.pdf"
check "$C ... pdfsig: valid" pdf_valid "$TMP/c-node.pdf"
eq "$C SignQr (image=false, linkQR, text): 200" 200 "$(post /api/sign/pdf -F "file=@$PDF;filename=file.pdf" \
	-F nik=$NIK -F "passphrase=$PHRASE" -F tampilan=visible -F image=false -F linkQR=https://contoh.com/ \
	-F page=1 -F xAxis=50 -F yAxis=50 -F width=120 -F height=120 -F reason=reason -F location=kotaku -F text=text)"
check "$C ... pdfsig: valid" pdf_valid "$TMP/body"
eq "$C SignImageTTD (imageTTD, linkQR, tag_koordinat): 200" 200 "$(post /api/sign/pdf \
	-F "file=@$TMP/letter.pdf;filename=file.pdf" -F nik=$NIK -F "passphrase=$PHRASE" -F tampilan=visible \
	-F image=false -F "imageTTD=@$TTD;filename=image.png" -F linkQR=https://contoh.com/ -F page=1 -F xAxis=0 \
	-F yAxis=0 -F width=120 -F height=60 -F 'tag_koordinat=#ttd#' -F reason=reason -F location=kotaku -F text=text)"
check "$C ... pdfsig: valid" pdf_valid "$TMP/body"
eq "$C Verify: summary, nama_dokumen, jumlah_signature, notes (the README's valid sample)" \
	"DOCUMENT VALID !!! signed.pdf 1 Tanda tangan elektronik valid dan dokumen merupakan dokumen asli sejak ditandatangani" \
	"$(post /api/sign/verify -F "signed_file=@$TMP/c-node.pdf;filename=signed.pdf" >/dev/null; \
	jget "$TMP/body" summary) $(jget "$TMP/body" nama_dokumen) $(jget "$TMP/body" jumlah_signature) $(jget "$TMP/body" notes)"
eq "$C Verify of a broken PDF: \"DOCUMENT NOT VALID !!!\" (the README's broken sample)" \
	"DOCUMENT NOT VALID !!! broken_signed.pdf False" \
	"$(post /api/sign/verify -F "signed_file=@$TMP/v1-changed.pdf;filename=broken_signed.pdf" >/dev/null; \
	jget "$TMP/body" summary) $(jget "$TMP/body" nama_dokumen) $(jget "$TMP/body" details.0.signature_document.document_integrity)"
eq "$C Verify of an unsigned PDF: summary null, jumlah_signature 0 (the README's sample)" "None 0 None []" \
	"$(post /api/sign/verify -F "signed_file=@$PDF;filename=remote.pdf" >/dev/null; \
	jget "$TMP/body" summary) $(jget "$TMP/body" jumlah_signature) $(jget "$TMP/body" notes) $(jget "$TMP/body" details)"
eq "$C Status, registered: 1111 ISSUE" "1111 ISSUE" "$(post /api/user/status/$NIK -X GET >/dev/null; sc) $(jget "$TMP/body" status)"
eq "$C Status, unregistered: 1110 NOT_REGISTERED \"User belum terdaftar\"" "1110 NOT_REGISTERED User belum terdaftar" \
	"$(post /api/user/status/3171000000009998 -X GET >/dev/null; sc) $(jget "$TMP/body" status) $(jget "$TMP/body" message)"
eq "$C DownloadDoc: 200, the same file and id_dokumen" "200 $NODE_ID" \
	"$(post /api/sign/download/$NODE_ID -X GET) $(hdr id_dokumen)"
check "$C ... the same bytes" cmp "$TMP/body" "$TMP/c-node.pdf"

# --- Go BsreClient (Go, net/http multipart) -------------------------------
# Application code: jenis_response, nik, passphrase, tampilan, image,
# height, width, tag_koordinat, then the file and imageTTD parts; the
# body is the PDF, a 400 is "wrong passphrase". halaman and
# jenis_response=BASE64 are in t_bsre.sh above. Its verify reads the
# answer as a map and fails on an "error" key.
C='[go-bsreclient]'
eq "$C jenis_response=BYTE, tag_koordinat=#, image=true, file then imageTTD: 200" 200 "$(post /api/sign/pdf \
	-F jenis_response=BYTE -F nik=$NIK -F "passphrase=$PHRASE" -F tampilan=visible -F image=true -F height=200 \
	-F width=200 -F 'tag_koordinat=#' -F "file=@$TMP/hash-letter.pdf;type=application/pdf" \
	-F "imageTTD=@$TTD;type=image/png")"
cp "$TMP/body" "$TMP/c-go.pdf"
check "$C ... the body is the signed PDF (pdfsig: valid)" pdf_valid "$TMP/c-go.pdf"
eq "$C ... the box at the tag" "300 150 500 350" "$(widget_rect "$TMP/c-go.pdf")"
eq "$C halaman=TERAKHIR, jenis_response=BASE64: 200, base64_signed_file on the last page" "200 yes 17" \
	"$(post /api/sign/pdf -F jenis_response=BASE64 -F halaman=TERAKHIR -F nik=$NIK -F "passphrase=$PHRASE" \
	-F tampilan=visible -F xAxis=40 -F yAxis=40 -F width=200 -F height=80 -F "file=@$PDF;type=application/pdf") \
$(jget "$TMP/body" base64_signed_file | base64 -d >"$TMP/c-go64.pdf" && pdf_valid "$TMP/c-go64.pdf" && echo yes) \
$(widget_page "$TMP/c-go64.pdf")"
eq "$C a wrong passphrase: 400" 400 "$(post /api/sign/pdf -F jenis_response=BYTE -F nik=$NIK -F passphrase=salah \
	-F tampilan=invisible -F "file=@$PDF;type=application/pdf")"
eq "$C VerifyDocument: 200, no \"error\" key, DOCUMENT VALID !!!" "200 no DOCUMENT VALID !!!" \
	"$(post /api/sign/verify -F "signed_file=@$TMP/c-go.pdf;filename=sppd.pdf") \
$($PY -c 'import json,sys; print("yes" if "error" in json.load(open(sys.argv[1])) else "no")' "$TMP/body") \
$(jget "$TMP/body" summary)"

# --- Odoo addon speaking v2 (Python) ---------------------------------------
# v2 sign with nik and passphrase, one signatureProperties entry per
# file; reads file[]; v2 verify reads conclusion and
# signatureInformations; a refusal's message (timestamp, path: t_bsre.sh).
C='[odoo-v2]'
B64_ODOO=$(base64 -w0 "$PDF")
eq "$C v2 sign: 200, file[0] is the signed PDF" 200 "$(v2 /api/v2/sign/pdf "{\"nik\":\"$NIK\",
	\"passphrase\":\"$PHRASE\",\"signatureProperties\":[{\"tampilan\":\"INVISIBLE\",\"reason\":\"Disetujui\",
	\"location\":\"Jakarta\"}],\"file\":[\"$B64_ODOO\"]}")"
jget "$TMP/body" file.0 | base64 -d >"$TMP/c-odoo.pdf"
check "$C ... pdfsig: valid" pdf_valid "$TMP/c-odoo.pdf"
eq "$C v2 verify: conclusion VALID, the signer, integrity" "VALID Rina Wati True" \
	"$(v2 /api/v2/verify/pdf "{\"file\":\"$(base64 -w0 "$TMP/c-odoo.pdf")\"}" >/dev/null; jget "$TMP/body" conclusion) \
$(jget "$TMP/body" signatureInformations.0.signerName) $(jget "$TMP/body" signatureInformations.0.integrityValid)"
eq "$C a refusal carries message" "400 Passphrase anda salah" "$(v2 /api/v2/sign/pdf "{\"nik\":\"$NIK\",
	\"passphrase\":\"salah\",\"file\":[\"$B64_ODOO\"]}") $(jget "$TMP/body" message)"

# --- esign-ts (TypeScript) --------------------------------------------------
# v1: nik, passphrase, tampilan, file (a Blob with its name), for
# visible image 'true', imageTTD, page, xAxis, yAxis, width, height,
# reason, location; reads the body and the id_dokumen header.
# signVerification reads nama_dokumen, jumlah_signature, summary, notes,
# details[].info_tsa.name/tsa_cert_validity, info_signer.signer_name/
# signer_cert_validity, signature_document.document_integrity/signed_in
# (parsed as "Y-m-d H:i:s.u" in UTC+7). v2: signInvisibleMultiple (one
# entry, location null, reason ""), registerUser, checkUserStatus,
# signVerification (conclusion, signatureInformations[].signerName,
# timestampInfomation.signerName/timestampDate).
C='[esign-ts]'
eq "$C v1 signInvisible: 200, the PDF and id_dokumen" "200 64" "$(post /api/sign/pdf -F nik=$NIK \
	-F "passphrase=$PHRASE" -F tampilan=invisible -F "file=@$PDF;filename=doc.pdf;type=application/pdf") \
$(hdr id_dokumen | tr -d '\n' | wc -c)"
cp "$TMP/body" "$TMP/c-ts.pdf"
check "$C ... pdfsig: valid" pdf_valid "$TMP/c-ts.pdf"
eq "$C v1 signVisible withImage: 200" 200 "$(post /api/sign/pdf -F nik=$NIK -F "passphrase=$PHRASE" \
	-F tampilan=visible -F "file=@$PDF;filename=doc.pdf;type=application/pdf" -F image=true \
	-F "imageTTD=@$TTD;filename=ttd.png" -F page=1 -F xAxis=10 -F yAxis=20 -F width=100 -F height=50 \
	-F reason=OK -F location=TPI)"
check "$C ... pdfsig: valid, reason OK" bash -c "pdfsig '$TMP/body' | grep -q 'Signature is Valid' && grep -a -q '/Reason *(OK)' '$TMP/body'"
eq "$C v1 signVerification: nama_dokumen, count, summary, signer" "doc.pdf 1 DOCUMENT VALID !!! Rina Wati True" \
	"$(post /api/sign/verify -F "signed_file=@$TMP/c-ts.pdf;filename=doc.pdf;type=application/pdf" >/dev/null; \
	jget "$TMP/body" nama_dokumen) $(jget "$TMP/body" jumlah_signature) $(jget "$TMP/body" summary) \
$(jget "$TMP/body" details.0.info_signer.signer_name) $(jget "$TMP/body" details.0.signature_document.document_integrity)"
# getSignedIn(): the library's parse (WIB back to UTC) must give /M.
M_TS=$(grep -a -o '/M *(D:[0-9]\{14\}' "$TMP/c-ts.pdf" | tail -1 | sed 's/.*D://')
eq "$C ... getSignedIn() (\"Y-m-d H:i:s.u\" read as UTC+7) is the signing time" \
	"${M_TS:0:4}-${M_TS:4:2}-${M_TS:6:2}T${M_TS:8:2}:${M_TS:10:2}:${M_TS:12:2}.000Z" \
	"$($PY -c 'import json, re, sys, datetime as dt
v = json.load(open(sys.argv[1]))["details"][0]["signature_document"]["signed_in"]
m = re.match(r"^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?$", v)
y, mo, d, h, mi, s, f = m.groups()
t = dt.datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), int((f or "0").ljust(3, "0")[:3]) * 1000) - dt.timedelta(hours=7)
print(t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000))' "$TMP/body")"
eq "$C ... getTimestampAuthority() and getSignerCertValidity() are set" "esignd Demo Time Stamping Authority yes" \
	"$(jget "$TMP/body" details.0.info_tsa.name) $(jget "$TMP/body" details.0.info_signer.signer_cert_validity | grep -q ' to ' && echo yes)"
eq "$C v1 checkUserStatus: 200" 200 "$(post /api/user/status/$NIK -X GET)"
eq "$C v2 signInvisibleMultiple (one entry, location null, reason \"\"): 200, two files" "200 2" \
	"$(v2 /api/v2/sign/pdf "{\"signatureProperties\":[{\"tampilan\":\"INVISIBLE\",\"location\":null,\"reason\":\"\"}],
	\"file\":[\"$B64_ODOO\",\"$B64_ODOO\"],\"nik\":\"$NIK\",\"passphrase\":\"$PHRASE\"}") \
$($PY -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["file"]))' "$TMP/body")"
jget "$TMP/body" file.1 | base64 -d >"$TMP/c-ts2.pdf"
check "$C ... the second file: pdfsig valid" pdf_valid "$TMP/c-ts2.pdf"
eq "$C v2 registerUser (/api/v2/user/register): 200" 200 "$(post /api/v2/user/register \
	-H 'Content-Type: application/json' -d '{"nama":"Nama Lengkap","email":"ts@agency.go.id"}')"
eq "$C v2 checkUserStatus: userStatus ISSUE" "200 ISSUE" "$(post /api/v2/user/check/status \
	-H 'Content-Type: application/json' -d "{\"nik\":\"$NIK\"}") $(jget "$TMP/body" status)"
eq "$C v2 signVerification: conclusion, signerName, TSA name, timestampDate" \
	"VALID Rina Wati esignd Demo Time Stamping Authority yes" \
	"$(v2 /api/v2/verify/pdf "{\"file\":\"$(base64 -w0 "$TMP/c-ts2.pdf")\"}" >/dev/null; jget "$TMP/body" conclusion) \
$(jget "$TMP/body" signatureInformations.0.signerName) \
$(jget "$TMP/body" signatureInformations.0.timestampInfomation.signerName) \
$(jget "$TMP/body" signatureInformations.0.timestampInfomation.timestampDate | grep -q '^20' && echo yes)"
