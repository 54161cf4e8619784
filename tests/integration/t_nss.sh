#!/usr/bin/env bash
# Certificates and revocation judged by other people's validators: the
# demo root imported into a fresh NSS database (as Okular, Evince,
# LibreOffice and Firefox use it), poppler's pdfsig on an individual
# signature, a seal and a B-LTA seal, NSS's vfychain, openssl verify
# -purpose, openssl ocsp and curl against the plain-HTTP distribution
# point, and each profile's extensions as openssl x509 prints them.
. "$(dirname "$0")/lib.sh"
for t in certutil vfychain pdfsig; do
	command -v "$t" >/dev/null || { echo "Bail out! $t is missing (scripts/deps.txt: libnss3-tools, poppler-utils)"; exit 1; }
done
esd_init
esd_start
CTL="$ESIGNCTL -c $D/esignd.conf"
AUTH="Authorization: Bearer $TOKEN"

# A fresh NSS database that trusts the demo root, and one that does not.
NSS="$TMP/nss"
EMPTY="$TMP/nss-empty"
mkdir "$NSS" "$EMPTY"
certutil -N -d "sql:$NSS" --empty-password
certutil -N -d "sql:$EMPTY" --empty-password
check "certutil imports the demo root (CT,C,C)" \
	certutil -A -d "sql:$NSS" -n "esignd demo root" -t CT,C,C -i "$D/ca.pem"

# The certificates, as the token holds them.
cert_of() { # cert_of LABEL: $TMP/LABEL.der and .pem
	pkcs11-tool --module "$P11MOD" --read-object --type cert --label "$1" \
		-o "$TMP/$1.der" >/dev/null 2>&1 &&
		openssl x509 -inform DER -in "$TMP/$1.der" -out "$TMP/$1.pem"
}
for l in demo-seal demo-individual tsa ocsp; do cert_of "$l"; done
openssl x509 -in "$D/issuing-ca.pem" -outform DER -out "$TMP/issuing-ca.der"
text() { openssl x509 -in "$TMP/$1.pem" -noout -text; }
# qc OUT PEM: the QCStatements' OIDs and strings, one per line.
qc() {
	local off
	off=$(openssl asn1parse -in "$2" | grep -A1 ':qcStatements' | tail -1 | cut -d: -f1 | tr -d ' ')
	[ -n "$off" ] && openssl asn1parse -in "$2" -strparse "$off" | sed -n 's/.*prim: [A-Z0-9]* *://p' >"$1"
}

# Profiles (docs/ra.md): what openssl x509 -text shows.
text demo-seal >"$TMP/seal.txt"
text demo-individual >"$TMP/ind.txt"
check "seal: organizationName and organizationIdentifier (EN 319 412-3)" \
	grep -q 'Subject: C = ID, O = Demo Agency, organizationIdentifier = NTRID-DEMO-0001, CN = Demo Agency Seal' "$TMP/seal.txt"
check "individual: givenName, surname, serialNumber, commonName (EN 319 412-2)" \
	grep -q 'Subject: C = ID, O = Demo Agency, GN = Demo, SN = Signer, serialNumber = DEMO-0001, CN = Demo Signer' "$TMP/ind.txt"
for f in seal ind; do
	check "$f: keyUsage critical, digitalSignature and nonRepudiation" \
		grep -A1 -q 'Key Usage: critical' "$TMP/$f.txt"
	check "$f: ... Digital Signature, Non Repudiation" grep -q 'Digital Signature, Non Repudiation' "$TMP/$f.txt"
	check "$f: EKU emailProtection and documentSigning (RFC 9336), not critical" bash -c \
		"grep -A1 'Extended Key Usage:' '$TMP/$f.txt' | grep -q 'E-mail Protection, 1.3.6.1.5.5.7.3.36' && \
		! grep -q 'Extended Key Usage: critical' '$TMP/$f.txt'"
	check "$f: the CPS URI qualifies the CA's policy, then ETSI NCP" bash -c \
		"grep -A4 'Certificate Policies' '$TMP/$f.txt' | tr -d ' \n' | \
		grep -q 'Policy:2.999.1.[12]CPS:http://pki.example.go.id/cpsPolicy:0.4.0.2042.1.1'"
	check "$f: CRL distribution point on the plain-HTTP distribution point" \
		grep -q "URI:$PUB/crl/issuing-ca.crl" "$TMP/$f.txt"
	check "$f: OCSP and caIssuers there too" bash -c \
		"grep -q 'OCSP - URI:$PUB/ocsp' '$TMP/$f.txt' && grep -q 'CA Issuers - URI:$PUB/ca/issuing-ca.crt' '$TMP/$f.txt'"
	check "$f: no https URL is left in the certificate" bash -c "! grep -q 'https://' '$TMP/$f.txt'"
done
qc "$TMP/seal.qc" "$TMP/demo-seal.pem"
qc "$TMP/ind.qc" "$TMP/demo-individual.pem"
check "seal: QcType eseal and QcPDS (EN 319 412-5)" bash -c \
	"grep -qx 0.4.0.1862.1.6.2 '$TMP/seal.qc' && grep -qx 0.4.0.1862.1.5 '$TMP/seal.qc' && \
	grep -qx http://pki.example.go.id/pds-en.pdf '$TMP/seal.qc' && grep -qx en '$TMP/seal.qc'"
check "individual: QcType esign" grep -qx 0.4.0.1862.1.6.1 "$TMP/ind.qc"
check "non-qualified: no QcCompliance in either" bash -c \
	"! grep -qx 0.4.0.1862.1.1 '$TMP/seal.qc' && ! grep -qx 0.4.0.1862.1.1 '$TMP/ind.qc'"
text tsa >"$TMP/tsa.txt"
check "TSA: timeStamping is the only EKU, and critical (RFC 3161 §2.3)" bash -c \
	"grep -A1 'Extended Key Usage: critical' '$TMP/tsa.txt' | tail -1 | grep -qx ' *Time Stamping'"
text ocsp >"$TMP/ocsp.txt"
check "OCSP responder: OCSPSigning and id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2)" bash -c \
	"grep -A1 'Extended Key Usage' '$TMP/ocsp.txt' | grep -q 'OCSP Signing' && grep -q 'OCSP No Check' '$TMP/ocsp.txt'"

# The distribution point: plain HTTP, only CRLs, CA certificates, OCSP.
CDP=$(sed -n 's/.*URI:\(http:[^ ]*\.crl\)$/\1/p' "$TMP/seal.txt")
eq "curl fetches the CRL from the certificate's own CDP URL" 200 \
	"$(curl -s -D "$TMP/crl.h" -o "$TMP/crl.der" -w '%{http_code}' "$CDP")"
check "openssl crl -verify: the CRL is the issuing CA's" bash -c \
	"cat '$D/issuing-ca.pem' '$D/ca.pem' >'$TMP/chain.pem' && \
	openssl crl -inform DER -in '$TMP/crl.der' -CAfile '$TMP/chain.pem' -noout -verify 2>&1 | grep -q 'verify OK'"
check "it is application/pkix-crl with Expires and a max-age up to nextUpdate" bash -c \
	"grep -qi '^Content-Type: application/pkix-crl' '$TMP/crl.h' && grep -qi '^Expires: ' '$TMP/crl.h' && \
	grep -qiE '^Cache-Control: public, no-transform, must-revalidate, max-age=[0-9]+' '$TMP/crl.h'"
check "Expires is the CRL's nextUpdate" bash -c \
	"[ \"\$(date -ud \"\$(sed -n 's/^Expires: //Ip' '$TMP/crl.h' | tr -d '\r')\" +%s)\" = \
	\"\$(date -ud \"\$(openssl crl -inform DER -in '$TMP/crl.der' -noout -nextupdate | cut -d= -f2)\" +%s)\" ]"
eq "curl fetches the issuing CA certificate (caIssuers)" 200 \
	"$(curl -s -o "$TMP/ca.der" -w '%{http_code}' "$PUB/ca/issuing-ca.crt")"
check "... the same certificate" cmp "$TMP/ca.der" "$TMP/issuing-ca.der"
eq "the admin API is not there: /v1/health is 404" 404 "$(curl -s -o /dev/null -w '%{http_code}' "$PUB/v1/health")"
eq "... nor /v1/keys with the admin token" 404 "$(curl -s -o /dev/null -w '%{http_code}' -H "$AUTH" "$PUB/v1/keys")"
eq "... nor sealing" 404 "$(curl -s -o /dev/null -w '%{http_code}' -H "$AUTH" \
	-F "file=@$CORPUS/xref-table.pdf" "$PUB/v1/seal")"
eq "... nor the TSA" 404 "$(curl -s -o /dev/null -w '%{http_code}' \
	-H 'Content-Type: application/timestamp-query' --data-binary @/dev/null "$PUB/tsa")"
eq "POST to a CRL is 405" 405 "$(curl -s -o /dev/null -w '%{http_code}' -d x "$PUB/crl/issuing-ca.crl")"
eq "a label with a path in it is 404" 404 "$(curl -s -o /dev/null -w '%{http_code}' --path-as-is "$PUB/crl/../ca/issuing-ca.crl")"
eq "an unknown CA is 404" 404 "$(curl -s -o /dev/null -w '%{http_code}' "$PUB/crl/nothing.crl")"
eq "HTTPS is not spoken there" 000 "$(curl -s -o /dev/null -w '%{http_code}' -k "https://127.0.0.1:$HTTP_PORT/crl/issuing-ca.crl")"

ocsp_url() { # ocsp_url CERT OUT: openssl ocsp over HTTP, as the certificate's AIA says
	openssl ocsp -issuer "$D/issuing-ca.pem" -cert "$TMP/$1.pem" -url "$PUB/ocsp" \
		-CAfile "$D/ca.pem" -verify_other "$D/issuing-ca.pem" >"$2" 2>&1
}
ocsp_url demo-seal "$TMP/o1.txt"
check "openssl ocsp -url http://...: Response verify OK" grep -q 'Response verify OK' "$TMP/o1.txt"
check "... the seal is good" grep -q "demo-seal.pem: good" "$TMP/o1.txt"
openssl ocsp -issuer "$D/issuing-ca.pem" -cert "$TMP/demo-seal.pem" -reqout "$TMP/o.req" >/dev/null 2>&1
B64=$(base64 -w0 "$TMP/o.req" | python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.stdin.read(), safe=""))')
eq "GET /ocsp/BASE64 (RFC 6960 Appendix A.1) is 200" 200 \
	"$(curl -s -D "$TMP/og.h" -o "$TMP/og.resp" -w '%{http_code}' "$PUB/ocsp/$B64")"
check "... a verified 'good' response" bash -c \
	"openssl ocsp -respin '$TMP/og.resp' -reqin '$TMP/o.req' -no_nonce -issuer '$D/issuing-ca.pem' -cert '$TMP/demo-seal.pem' \
	-CAfile '$D/ca.pem' -verify_other '$D/issuing-ca.pem' 2>&1 | grep -q 'demo-seal.pem: good'"
check "... cacheable until its nextUpdate" bash -c \
	"grep -qiE '^Cache-Control: public.*max-age=[0-9]+' '$TMP/og.h' && grep -qi '^Expires: ' '$TMP/og.h'"
printf 'junk' >"$TMP/junk"
curl -s -o "$TMP/bad.resp" -H 'Content-Type: application/ocsp-request' --data-binary @"$TMP/junk" "$PUB/ocsp"
check "a malformed OCSP request gets malformedRequest" bash -c \
	"openssl ocsp -respin '$TMP/bad.resp' -resp_text -noverify 2>&1 | grep -qi malformedrequest"
eq "an OCSP POST of another media type is 415" 415 "$(curl -s -o /dev/null -w '%{http_code}' \
	--data-binary @"$TMP/o.req" "$PUB/ocsp")"
eq "an OCSP POST over 16 KiB is 413" 413 "$(head -c 20000 /dev/zero | curl -s -o /dev/null -w '%{http_code}' \
	-H 'Content-Type: application/ocsp-request' --data-binary @- "$PUB/ocsp")"
eq "GET /ocsp/ with something that is not base64 is 400" 400 \
	"$(curl -s -o /dev/null -w '%{http_code}' "$PUB/ocsp/%21%21%21")"

# Path validation: NSS's vfychain and openssl verify -purpose.
vfy() { vfychain -d "sql:$1" -pp -u "$2" "$TMP/$3.der" "$TMP/issuing-ca.der" 2>&1; }
check "vfychain -pp -u 4 (email signer, pdfsig's usage): the seal chain is good" \
	grep -q 'Chain is good' <(vfy "$NSS" 4 demo-seal)
check "vfychain -pp -u 4: the individual chain is good" \
	grep -q 'Chain is good' <(vfy "$NSS" 4 demo-individual)
check "vfychain -pp -u 10: the OCSP responder chain is good" \
	grep -q 'Chain is good' <(vfy "$NSS" 10 ocsp)
# NSS has no time-stamping usage: the TSA's path is built and checked,
# and only the usage is refused, with the type error and nothing else.
vfy "$NSS" 4 tsa >"$TMP/vfy-tsa"
check "vfychain -pp: the TSA chain fails only on NSS's missing time-stamping usage (-8101)" bash -c \
	"grep -q 'ERROR -8101' '$TMP/vfy-tsa' && [ \$(grep -c 'ERROR' '$TMP/vfy-tsa') = 1 ]"
vfy "$EMPTY" 4 demo-seal >"$TMP/vfy-untrusted"
check "without the root, vfychain does not call the seal's chain good" \
	bash -c "! grep -q 'Chain is good' '$TMP/vfy-untrusted'"
ov() { openssl verify -CAfile "$D/ca.pem" -untrusted "$D/issuing-ca.pem" -purpose "$1" "$TMP/$2.pem"; }
check "openssl verify -purpose smimesign: the seal" ov smimesign demo-seal
check "openssl verify -purpose smimesign: the individual" ov smimesign demo-individual
check "openssl verify -purpose timestampsign: the TSA" ov timestampsign tsa
check "openssl verify -purpose ocsphelper: the OCSP responder" ov ocsphelper ocsp
check "openssl verify -purpose sslserver refuses the seal" bash -c \
	"! openssl verify -CAfile '$D/ca.pem' -untrusted '$D/issuing-ca.pem' -purpose sslserver '$TMP/demo-seal.pem'"

# Signatures, judged by pdfsig with the NSS database (OCSP on: it asks
# the distribution point).
doc() { # doc ROUTE OUT [curl -F args...] -> HTTP status
	local route=$1 outf=$2
	shift 2
	curl -s -o "$outf" -w '%{http_code}' --cacert "$D/ca.pem" -H "$AUTH" \
		-F "file=@$CORPUS/libreoffice-letter.pdf;type=application/pdf" "$@" "$URL/v1/$route"
}
eq "an individual signs (200)" 200 "$(doc sign "$TMP/ind.pdf" -F key=demo-individual)"
eq "a seal (200)" 200 "$(doc seal "$TMP/seal.pdf" -F key=demo-seal)"
eq "a B-LTA seal (200)" 200 "$(doc seal "$TMP/lta.pdf" -F key=demo-seal -F level=B-LTA)"
for f in ind seal lta; do
	pdfsig -nssdir "sql:$NSS" "$TMP/$f.pdf" >"$TMP/$f.sig" 2>&1
	check "pdfsig ($f) finds the signature" grep -q 'Signature #1:' "$TMP/$f.sig"
	check "pdfsig ($f): Signature is Valid." bash -c \
		"sed -n '/Signature #1:/,/Signature #2:/p' '$TMP/$f.sig' | grep -q 'Signature Validation: Signature is Valid.'"
	check "pdfsig ($f): Certificate is Trusted." bash -c \
		"sed -n '/Signature #1:/,/Signature #2:/p' '$TMP/$f.sig' | grep -q 'Certificate Validation: Certificate is Trusted.'"
done
check "pdfsig -no-ocsp (seal): Certificate is Trusted." bash -c \
	"pdfsig -nssdir 'sql:$NSS' -no-ocsp '$TMP/seal.pdf' | grep -q 'Certificate Validation: Certificate is Trusted.'"
check "without the root, pdfsig does not trust the seal" bash -c \
	"pdfsig -nssdir 'sql:$EMPTY' '$TMP/seal.pdf' | grep 'Certificate Validation' | grep -qv 'is Trusted'"
eq "the B-LTA seal carries a second signature, the document timestamp" 2 "$(grep -c '^Signature #' "$TMP/lta.sig")"

# A seal issued by the registration authority under the configured
# profile: organizationIdentifier from the registration.
esd_verifiers
LETTER="$CORPUS/libreoffice-letter.pdf"
eq "an organizationIdentifier not in EN 319 412-1 form is 400" 400 \
	"$(https_code /v1/ra/seals -H "Authorization: Bearer $(cat "$TMP/va.tok")" \
	-d "{\"name\":\"S\",\"email\":\"o@agency.go.id\",\"org_id\":\"12345\",\"letter\":\"$(base64 -w0 "$LETTER")\"}")"
$VA --json seal register --name "Sistem Persuratan" --org "Kementerian Contoh" --org-id NTRID-0123456789 \
	--email officer@agency.go.id --letter "$LETTER" >"$TMP/rseal.json"
check "a second verifier approves the seal" $VB request approve --id "$(jget "$TMP/rseal.json" request.id)"
SUB=$(jget "$TMP/rseal.json" subscriber.id)
$VB --json subscriber show --id "$SUB" >"$TMP/rsub.json"
$VB --json cert show --serial "$(jget "$TMP/rsub.json" serial)" >"$TMP/rcert.json"
jget "$TMP/rcert.json" pem >"$TMP/rseal.pem"
openssl x509 -in "$TMP/rseal.pem" -noout -text >"$TMP/rseal.txt"
check "RA seal: O and organizationIdentifier from the registration" \
	grep -q 'Subject: C = ID, O = Kementerian Contoh, organizationIdentifier = NTRID-0123456789, CN = Sistem Persuratan' "$TMP/rseal.txt"
check "RA seal: the profile's policies, EKU and HTTP URLs" bash -c \
	"grep -q 'CPS: http://pki.example.go.id/cps' '$TMP/rseal.txt' && grep -q 'E-mail Protection, 1.3.6.1.5.5.7.3.36' '$TMP/rseal.txt' && \
	grep -q 'URI:$PUB/crl/issuing-ca.crl' '$TMP/rseal.txt'"
qc "$TMP/rseal.qc" "$TMP/rseal.pem"
check "RA seal: QcType eseal" grep -qx 0.4.0.1862.1.6.2 "$TMP/rseal.qc"
check "RA seal: vfychain -pp -u 4 good" bash -c \
	"openssl x509 -in '$TMP/rseal.pem' -outform DER -out '$TMP/rseal.der' && \
	vfychain -d 'sql:$NSS' -pp -u 4 '$TMP/rseal.der' '$TMP/issuing-ca.der' 2>&1 | grep -q 'Chain is good'"

# Revocation: the signer revoked, pdfsig asks OCSP over HTTP.
SERIAL=$(openssl x509 -in "$TMP/demo-seal.pem" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f' | sed 's/^0*//')
check "esignctl cert revoke: the demo seal" $CTL cert revoke --serial "$SERIAL" --reason keyCompromise
ocsp_url demo-seal "$TMP/o2.txt"
check "openssl ocsp -url http://...: revoked" grep -q 'demo-seal.pem: revoked' "$TMP/o2.txt"
check "pdfsig (OCSP on): Certificate has been Revoked." bash -c \
	"pdfsig -nssdir 'sql:$NSS' '$TMP/seal.pdf' | grep -q 'Certificate Validation: Certificate has been Revoked.'"
check "pdfsig (OCSP on): the B-LTA seal's signer too" bash -c \
	"pdfsig -nssdir 'sql:$NSS' '$TMP/lta.pdf' | grep -q 'Certificate Validation: Certificate has been Revoked.'"
check "pdfsig (OCSP on): the individual is still trusted" bash -c \
	"pdfsig -nssdir 'sql:$NSS' '$TMP/ind.pdf' | grep -q 'Certificate Validation: Certificate is Trusted.'"
curl -s -o "$TMP/crl2.der" "$CDP"
check "the CRL from the distribution point lists it" bash -c \
	"openssl crl -inform DER -in '$TMP/crl2.der' -noout -text | grep -qi 'Serial Number: 0*${SERIAL}'"
finish
