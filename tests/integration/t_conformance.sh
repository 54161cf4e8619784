#!/usr/bin/env bash
# The conformance kit (esignctl conformance run) against a real sandbox
# deployment: sandbox profiles (SANDBOX in every subscriber's subject), an
# individual, a seal granted to an API client, and a document signed by a
# certificate that was revoked afterwards. The kit must pass every check,
# and its report must be a PDF the deployment sealed (pdfsig, qpdf) that
# lists those checks (pdftotext). Then the ways it must fail: an
# unreachable deployment, an untrusted server certificate, a wrong client
# token, a certificate without the sandbox mark.
. "$(dirname "$0")/lib.sh"
esd_init
sed -i -e 's|^profile.individual.subject = .*|profile.individual.subject = /C=ID/O=SANDBOX {org}/OU={unit}/CN={name}|' \
	-e 's|^profile.seal.subject = .*|profile.seal.subject = /C=ID/O=SANDBOX {org}/CN={name}|' "$D/esignd.conf"
esd_start
CTL="$ESIGNCTL -c $D/esignd.conf"
PY=/usr/bin/python3
esd_verifiers

# individual NIK NAME EMAIL PASSFILE: registered, approved, activated;
# prints the subscriber id.
individual() {
	$VA --json user register --name "$2" --nik "$1" --email "$3" --unit Humas \
		--org "Kementerian Contoh" >"$TMP/ind-$1.json"
	$VB request approve --id "$(jget "$TMP/ind-$1.json" request.id)" >/dev/null
	$CTL user activate --subscriber "$(jget "$TMP/ind-$1.json" subscriber.id)" \
		--code "$(mail_code "$3")" --passphrase-file "$4" >/dev/null
	jget "$TMP/ind-$1.json" subscriber.id
}
printf 'bunga melati putih 7\n' >"$TMP/pass"
printf 'kenanga biru muda 42\n' >"$TMP/pass2"
NIK=3171000000000007
individual $NIK "Penguji Integrasi" penguji@agency.go.id "$TMP/pass" >/dev/null
REV=$(individual 3171000000000011 "Pegawai Lama" lama@agency.go.id "$TMP/pass2")
$VA --json seal register --name "Sistem Surat" --email segel@agency.go.id --org "Kementerian Contoh" \
	--letter "$CORPUS/xref-table.pdf" >"$TMP/seal.json"
SEAL=$(jget "$TMP/seal.json" subscriber.id)
$VB request approve --id "$(jget "$TMP/seal.json" request.id)" >/dev/null
$CTL --json client add --name agency-app --role client --key "$SEAL" >"$TMP/app.json"
jget "$TMP/app.json" token >"$TMP/app.tok"

# A document signed by an individual whose certificate is then revoked.
curl -s -o "$TMP/revoked.pdf" -w '%{http_code}' --cacert "$D/ca.pem" -u "agency-app:$(cat "$TMP/app.tok")" \
	-F "file=@$CORPUS/xref-table.pdf" -F nik=3171000000000011 -F "passphrase=$(cat "$TMP/pass2")" \
	"$URL/api/sign/pdf" >"$TMP/code"
eq "a document signed before the revocation" 200 "$(cat "$TMP/code")"
# The BSrE routes timestamp their signatures (bsre_level B-T): revoked a
# whole second after that timestamp, the signature stays valid (it is
# proven to predate the revocation), and the revocation is reported.
sleep 1.2
$VA --json cert revoke --subscriber "$REV" --reason keyCompromise >"$TMP/rv.json"
$VB request approve --id "$(jget "$TMP/rv.json" request.id)" >/dev/null
curl -s -o "$TMP/body" --cacert "$D/ca.pem" -F "file=@$TMP/revoked.pdf" "$URL/v1/verify"
eq "native verify: the appliance's own CRL says revoked, after the signature's timestamp" \
	"valid revoked" \
	"$(jget "$TMP/body" verdict) $(jget "$TMP/body" signatures.0.chain.revocation)"

kit() { # kit [extra options]: the kit against this deployment
	$ESIGNCTL conformance run --url "$URL" --client agency-app --token-file "$TMP/app.tok" \
		--cacert "$D/ca.pem" --nik $NIK --passphrase-file "$TMP/pass" --seal "$SEAL" \
		--maildir "$D/mail" --officer segel@agency.go.id "$@"
}
kit --revoked-pdf "$TMP/revoked.pdf" --sandbox --out "$TMP/report.pdf" >"$TMP/kit.out" 2>&1
eq "the kit passes against the sandbox (exit 0)" 0 "$?"
sed 's/^/#   /' "$TMP/kit.out"
N=$(grep -c '^PASS ' "$TMP/kit.out")
check "every check ran and passed ($N)" grep -q "^$N passed, 0 failed, 0 skipped" "$TMP/kit.out"
check "at least the checklist's 17 checks" test "$N" -ge 17
for c in "tls and clock" "user status" "v1 sign" "v1 verify" "v2 sign" "v2 verify" "seal (2 files)" \
	"seal code used up" "revoke activation" "revocation visible in verify"; do
	check "... including '$c'" grep -q "^PASS  $c" "$TMP/kit.out"
done
check "the report is sealed and valid (pdfsig)" bash -c \
	"pdfsig '$TMP/report.pdf' | grep -q 'Signature is Valid' && pdfsig '$TMP/report.pdf' | grep -q 'Sistem Surat'"
check "the seal's certificate says SANDBOX (pdfsig)" bash -c \
	"pdfsig '$TMP/report.pdf' | grep 'Signer full Distinguished Name' | grep -q 'O=.*SANDBOX'"
check "qpdf --check accepts the report" qpdf --check "$TMP/report.pdf"
pdftotext "$TMP/report.pdf" "$TMP/report.txt"
check "the report lists every check and the verdict" bash -c \
	"[ \$(grep -c '. PASS ' '$TMP/report.txt') -eq $N ] && grep -q 'CONFORMS / SESUAI' '$TMP/report.txt' && \
	 grep -q '$URL' '$TMP/report.txt'"
check "the seal sits at the report's #segel# mark" test -n "$(widget_rect "$TMP/report.pdf")"
check "no passphrase or token in the kit's output" bash -c \
	"! grep -q -e '$(cat "$TMP/pass")' -e '$(cat "$TMP/app.tok")' '$TMP/kit.out' '$TMP/report.txt'"

# The ways it must fail.
$ESIGNCTL conformance run --url "https://127.0.0.1:$(free_port)" --client agency-app --token-file "$TMP/app.tok" \
	--cacert "$D/ca.pem" --nik $NIK --passphrase-file "$TMP/pass" --seal "$SEAL" --out "$TMP/x.pdf" >"$TMP/k2" 2>&1
eq "an unreachable deployment: exit 3" 3 "$?"
check "... and no report" test ! -e "$TMP/x.pdf"
$ESIGNCTL conformance run --url "$URL" --client agency-app --token-file "$TMP/app.tok" \
	--nik $NIK --passphrase-file "$TMP/pass" --seal "$SEAL" --out "$TMP/x.pdf" >"$TMP/k3" 2>&1
eq "a server certificate the kit does not trust: exit 3" 3 "$?"
check "... said on the TLS line" grep -q '^FAIL  tls and clock' "$TMP/k3"
printf 'wrong-token\n' >"$TMP/bad.tok"
$ESIGNCTL conformance run --url "$URL" --client agency-app --token-file "$TMP/bad.tok" --cacert "$D/ca.pem" \
	--nik $NIK --passphrase-file "$TMP/pass" --seal "$SEAL" --out "$TMP/x.pdf" >"$TMP/k4" 2>&1
rc=$?
check "a wrong client token fails the run (exit $rc)" test "$rc" -ne 0
check "... on the user-status check" grep -q '^FAIL  user status' "$TMP/k4"
eq "usage errors: exit 2" 2 "$($ESIGNCTL conformance run --url "$URL" >/dev/null 2>&1; echo $?)"
# A production-like deployment: the seal is not marked SANDBOX.
sed -i 's|^profile.seal.subject = .*|profile.seal.subject = /C=ID/O={org}/CN={name}|' "$D/esignd.conf"
esd_stop
esd_start
$VA --json seal register --name "Sistem Produksi" --email prod@agency.go.id \
	--letter "$CORPUS/xref-table.pdf" >"$TMP/seal2.json"
SEAL2=$(jget "$TMP/seal2.json" subscriber.id)
$VB request approve --id "$(jget "$TMP/seal2.json" request.id)" >/dev/null
$CTL --json client add --name prod-app --role client --key "$SEAL2" >"$TMP/app2.json"
jget "$TMP/app2.json" token >"$TMP/app2.tok"
$ESIGNCTL conformance run --url "$URL" --client prod-app --token-file "$TMP/app2.tok" --cacert "$D/ca.pem" \
	--nik $NIK --passphrase-file "$TMP/pass" --seal "$SEAL2" --maildir "$D/mail" --officer prod@agency.go.id \
	--sandbox --out "$TMP/prod.pdf" >"$TMP/k5" 2>&1
eq "--sandbox with a seal not marked SANDBOX: exit 1" 1 "$?"
check "... the sealed-document check says why" grep -q '^FAIL  sealed document verifies.*NOT a sandbox' "$TMP/k5"
finish
