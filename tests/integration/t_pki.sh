#!/usr/bin/env bash
# The PKI services, judged by the openssl CLI: RFC 3161 timestamps,
# CRLs, OCSP, CA certificates, and revocation reflected in CRL and OCSP.
. "$(dirname "$0")/lib.sh"
esd_init
esd_start
CTL="$ESIGNCTL -c $D/esignd.conf"
fetch() { curl -s -o "$2" -w '%{http_code}' --cacert "$D/ca.pem" "$URL$1"; }

# CA certificates (the AIA caIssuers URLs).
eq "GET /ca/issuing-ca.crt is 200" 200 "$(fetch /ca/issuing-ca.crt "$TMP/issuing.der")"
check "it is the issuing CA certificate (DER)" bash -c \
	"cmp <(openssl x509 -inform DER -in '$TMP/issuing.der') <(openssl x509 -in '$D/issuing-ca.pem')"
eq "GET /ca/demo-seal.crt is 404 (not a CA)" 404 "$(fetch /ca/demo-seal.crt "$TMP/x")"
eq "GET /ca/nothing.crt is 404" 404 "$(fetch /ca/nothing.crt "$TMP/x")"
cat "$D/issuing-ca.pem" "$D/ca.pem" >"$TMP/chain.pem"

# Timestamps.
printf 'document to stamp' >"$TMP/data"
openssl ts -query -data "$TMP/data" -sha256 -cert -out "$TMP/q.tsq" 2>/dev/null
code=$(curl -s -o "$TMP/r.tsr" -w '%{http_code}' --cacert "$D/ca.pem" \
	-H 'Content-Type: application/timestamp-query' --data-binary @"$TMP/q.tsq" "$URL/tsa")
eq "POST /tsa is 200" 200 "$code"
check "openssl ts -verify: Verification OK" bash -c \
	"openssl ts -verify -in '$TMP/r.tsr' -data '$TMP/data' -CAfile '$D/ca.pem' -untrusted '$D/issuing-ca.pem' | grep -q 'Verification: OK'"
check "the token names the demo TSA" bash -c \
	"openssl ts -reply -in '$TMP/r.tsr' -text | grep -q 'Policy OID: 2.999.3161.1'"
check "the stamp is in the audit log" bash -c "$CTL --json audit verify | grep -q '\"ok\": true'"
printf 'junk' >"$TMP/junk"
eq "a malformed query is still 200 ..." 200 "$(curl -s -o "$TMP/rej.tsr" -w '%{http_code}' --cacert "$D/ca.pem" \
	-H 'Content-Type: application/timestamp-query' --data-binary @"$TMP/junk" "$URL/tsa")"
check "... with a rejection (openssl ts -reply)" bash -c \
	"openssl ts -reply -in '$TMP/rej.tsr' -text 2>/dev/null | grep -q 'Status: Rejected'"
eq "a wrong media type is 415" 415 "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$D/ca.pem" \
	--data-binary @"$TMP/q.tsq" "$URL/tsa")"

# CRL before any revocation.
eq "GET /crl/issuing-ca.crl is 200" 200 "$(fetch /crl/issuing-ca.crl "$TMP/crl1.der")"
check "openssl crl -verify against the chain" bash -c \
	"openssl crl -inform DER -in '$TMP/crl1.der' -CAfile '$TMP/chain.pem' -noout -verify 2>&1 | grep -q 'verify OK'"
check "it lists no revoked certificate" bash -c \
	"openssl crl -inform DER -in '$TMP/crl1.der' -noout -text | grep -q 'No Revoked Certificates'"
eq "GET /crl/root-ca.crl is 200" 200 "$(fetch /crl/root-ca.crl "$TMP/rootcrl.der")"
check "the root CRL verifies against the root" bash -c \
	"openssl crl -inform DER -in '$TMP/rootcrl.der' -CAfile '$D/ca.pem' -noout -verify 2>&1 | grep -q 'verify OK'"
eq "GET /crl/demo-seal.crl is 404" 404 "$(fetch /crl/demo-seal.crl "$TMP/x")"

# OCSP for the demo seal certificate: good.
$CTL --json cert list >"$TMP/certs.json"
SERIAL=$(tr -d '\n ' <"$TMP/certs.json" | grep -o '{[^{}]*"key":"demo-seal"[^{}]*}' | sed -n 's/.*"serial":"\([0-9a-f]*\)".*/\1/p')
check "esignctl cert list shows the demo seal certificate" test -n "$SERIAL"
SOFTHSM2_CONF="$D/softhsm2.conf" pkcs11-tool --module "$P11MOD" --read-object --type cert \
	--label demo-seal -o "$TMP/seal.der" >/dev/null 2>&1
openssl x509 -inform DER -in "$TMP/seal.der" -out "$TMP/seal.pem"
ocsp() { # ocsp OUT -> status line
	openssl ocsp -issuer "$D/issuing-ca.pem" -sha256 -cert "$TMP/seal.pem" -reqout "$TMP/o.req" >/dev/null 2>&1
	curl -s -o "$TMP/o.resp" --cacert "$D/ca.pem" -H 'Content-Type: application/ocsp-request' \
		--data-binary @"$TMP/o.req" "$URL/ocsp"
	openssl ocsp -respin "$TMP/o.resp" -reqin "$TMP/o.req" -no_nonce -issuer "$D/issuing-ca.pem" -sha256 -cert "$TMP/seal.pem" \
		-CAfile "$D/ca.pem" -verify_other "$D/issuing-ca.pem" >"$1" 2>&1
}
ocsp "$TMP/ocsp1.txt"
check "openssl ocsp: Response verify OK" grep -q "Response verify OK" "$TMP/ocsp1.txt"
check "openssl ocsp: the seal certificate is good" grep -q "seal.pem: good" "$TMP/ocsp1.txt"
eq "a malformed OCSP request is 200 ..." 200 "$(curl -s -o "$TMP/bad.resp" -w '%{http_code}' --cacert "$D/ca.pem" \
	-H 'Content-Type: application/ocsp-request' --data-binary @"$TMP/junk" "$URL/ocsp")"
check "... with malformedRequest" bash -c \
	"openssl ocsp -respin '$TMP/bad.resp' -resp_text -noverify 2>&1 | grep -q -i 'malformedrequest'"

# Revocation: 409 for illegal transitions, reflected in CRL and OCSP.
# A seal first: the keeper then holds the key's facts, revocation included,
# and must not use them once the certificate is revoked.
eq "sealing before the revocation is 200" 200 \
	"$(curl -s -o "$TMP/body" -w '%{http_code}' --cacert "$D/ca.pem" -H "Authorization: Bearer $TOKEN" \
	-F "file=@$CORPUS/xref-table.pdf" "$URL/v1/seal")"
before=$(state_sum)
eq "revoking with an unknown reason is 400" 400 "$(unix_code /v1/certs/$SERIAL/revoke -d '{"reason":"bored"}')"
eq "revoking an unknown serial is 404" 404 "$(unix_code /v1/certs/abcdef/revoke -d '{"reason":"superseded"}')"
eq "revoking with a bearer-less HTTPS call is 401" 401 "$(https_code /v1/certs/$SERIAL/revoke -d '{"reason":"superseded"}')"
eq "refusals changed nothing" "$before" "$(state_sum)"
check "esignctl cert revoke" $CTL cert revoke --serial "$SERIAL" --reason keyCompromise
eq "revoking it again is 409" 409 "$(unix_code /v1/certs/$SERIAL/revoke -d '{"reason":"superseded"}')"
eq "GET /crl/issuing-ca.crl after revocation" 200 "$(fetch /crl/issuing-ca.crl "$TMP/crl2.der")"
check "the new CRL verifies" bash -c \
	"openssl crl -inform DER -in '$TMP/crl2.der' -CAfile '$TMP/chain.pem' -noout -verify 2>&1 | grep -q 'verify OK'"
check "it lists the revoked serial" bash -c \
	"openssl crl -inform DER -in '$TMP/crl2.der' -noout -text | grep -q -i 'Serial Number: $SERIAL'"
check "with reason Key Compromise" bash -c \
	"openssl crl -inform DER -in '$TMP/crl2.der' -noout -text | grep -q 'Key Compromise'"
check "its CRL number went up" bash -c \
	"[ \"\$(openssl crl -inform DER -in '$TMP/crl2.der' -noout -crlnumber)\" != \"\$(openssl crl -inform DER -in '$TMP/crl1.der' -noout -crlnumber)\" ]"
ocsp "$TMP/ocsp2.txt"
check "openssl ocsp now says revoked" grep -q "seal.pem: revoked" "$TMP/ocsp2.txt"
check "openssl verify -crl_check refuses the seal certificate" bash -c \
	"openssl crl -inform DER -in '$TMP/crl2.der' -out '$TMP/crl2.pem'; ! openssl verify -crl_check -CAfile '$D/ca.pem' -untrusted '$D/issuing-ca.pem' -CRLfile '$TMP/crl2.pem' '$TMP/seal.pem'"
eq "sealing with the revoked key's certificate is refused" 403 \
	"$(curl -s -o "$TMP/body" -w '%{http_code}' --cacert "$D/ca.pem" -H "Authorization: Bearer $TOKEN" \
	-F "file=@$CORPUS/xref-table.pdf" "$URL/v1/seal")"
check "the audit chain verifies" $CTL audit verify
finish
