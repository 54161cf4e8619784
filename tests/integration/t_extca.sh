#!/usr/bin/env bash
# External CA mode: a key generated in the token, a PKCS#10 request for it
# (openssl req -verify), a certificate from an outside CA made with the
# openssl CLI, imports refused for a foreign key, a broken chain or twice,
# then subscribers' certificates issued under the imported CA that verify
# up to the outside root, with its CRL and OCSP. Emails go to the demo
# maildir.
. "$(dirname "$0")/lib.sh"
esd_init
esd_start
CTL="$ESIGNCTL -c $D/esignd.conf"
PY=/usr/bin/python3

check "esignctl keys generate: a CA key in the token" \
	$CTL keys generate --label agency-ca --type rsa3072
$CTL keys csr --label agency-ca --subject "/C=ID/O=Kementerian Contoh/CN=Kementerian Contoh CA" >"$TMP/ca.csr"
check "openssl req -verify: the request's signature (made in the token)" bash -c \
	"openssl req -in '$TMP/ca.csr' -noout -verify 2>&1 | grep -q -i 'verify OK'"
check "it names the subject asked for" bash -c \
	"openssl req -in '$TMP/ca.csr' -noout -subject | grep -q 'CN = Kementerian Contoh CA'"
check "its public key is the token key's" bash -c \
	"[ \"\$(openssl req -in '$TMP/ca.csr' -noout -pubkey)\" = \"\$(SOFTHSM2_CONF=$D/softhsm2.conf pkcs11-tool \
	--module $P11MOD --read-object --type pubkey --label agency-ca 2>/dev/null | openssl pkey -pubin -inform DER)\" ]"
eq "a bad subject is 400" 400 "$(unix_code /v1/keys/agency-ca/csr -d '{"subject":"CN=x"}')"
eq "a request for an unknown key is 404" 404 "$(unix_code /v1/keys/nope/csr -d '{"subject":"/CN=x"}')"

# The outside CA: a root made with the openssl CLI.
cd "$TMP" || exit 1
openssl req -x509 -newkey rsa:2048 -nodes -keyout root.key -out root.pem -days 365 \
	-subj "/C=ID/O=Outside Root/CN=Outside Root CA" \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' >ca.ext
openssl x509 -req -in ca.csr -CA root.pem -CAkey root.key -CAcreateserial -days 365 \
	-extfile ca.ext -out agency.pem 2>/dev/null
check "the outside CA signed it" openssl verify -CAfile root.pem agency.pem
# A certificate for a key that is not in the token.
openssl req -new -newkey rsa:2048 -nodes -keyout other.key -subj "/CN=Other" -out other.csr 2>/dev/null
openssl x509 -req -in other.csr -CA root.pem -CAkey root.key -CAcreateserial -days 365 \
	-extfile ca.ext -out other.pem 2>/dev/null
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n' >ee.ext
openssl x509 -req -in ca.csr -CA root.pem -CAkey root.key -CAcreateserial -days 365 \
	-extfile ee.ext -out agency-ee.pem 2>/dev/null
cd - >/dev/null || exit 1

S0=$(state_sum)
eq "importing a certificate of another key is refused (exit 1)" 1 "$($CTL keys import --label agency-ca \
	--cert "$TMP/other.pem" --chain "$TMP/root.pem" --purpose issuing-ca >"$TMP/out" 2>&1; echo $?)"
check "... saying the public key does not match" grep -q "public key" "$TMP/out"
eq "a chain that does not lead to the issuer is refused" 1 "$($CTL keys import --label agency-ca \
	--cert "$TMP/agency.pem" --chain "$D/ca.pem" --purpose issuing-ca >"$TMP/out" 2>&1; echo $?)"
check "... saying it does not verify" grep -q "does not verify" "$TMP/out"
eq "an end-entity certificate as issuing CA is refused" 1 "$($CTL keys import --label agency-ca \
	--cert "$TMP/agency-ee.pem" --chain "$TMP/root.pem" --purpose issuing-ca >/dev/null 2>&1; echo $?)"
eq "an unknown purpose is refused" 1 "$($CTL keys import --label agency-ca \
	--cert "$TMP/agency.pem" --chain "$TMP/root.pem" --purpose root >/dev/null 2>&1; echo $?)"
eq "a body that is not PEM is 400" 400 "$(unix_code /v1/keys/agency-ca/certificate \
	-d '{"cert":"junk","chain":"junk","purpose":"issuing-ca"}')"
eq "... and the refusals changed nothing" "$S0" "$(state_sum)"
check "esignctl keys import: the outside CA's certificate" $CTL keys import --label agency-ca \
	--cert "$TMP/agency.pem" --chain "$TMP/root.pem" --purpose issuing-ca
eq "importing twice is 409" 409 "$(unix_code /v1/keys/agency-ca/certificate -d \
	"$($PY -c 'import json,sys; print(json.dumps({"cert":open(sys.argv[1]).read(),"chain":open(sys.argv[2]).read(),"purpose":"issuing-ca"}))' "$TMP/agency.pem" "$TMP/root.pem")")"
check "the token holds the certificate beside the key" bash -c \
	"SOFTHSM2_CONF=$D/softhsm2.conf pkcs11-tool --module $P11MOD --list-objects --type cert 2>/dev/null | grep -q 'label: *agency-ca'"

# Subscribers are now issued under the imported CA.
printf 'ra_issuing_ca = agency-ca\n' >>"$D/esignd.conf"
sed -i -e 's/^profile.seal.policies = .*/profile.seal.policies = 2.16.360.1.1.2/' \
	-e 's/^profile.seal.eku = .*/profile.seal.eku = emailProtection/' "$D/esignd.conf"
sed -i 's/^profile.seal.days = 730$/profile.seal.days = 365/' "$D/esignd.conf"
esd_stop
esd_start
esd_verifiers
$CTL --token-file "$TMP/va.tok" --json seal register --name "Sistem Arsip" \
	--org "Kementerian Contoh" --email arsip@agency.go.id --letter "$CORPUS/xref-table.pdf" >"$TMP/s.json"
check "the second verifier approves a seal" $CTL --token-file "$TMP/vb.tok" request approve \
	--id "$(jget "$TMP/s.json" request.id)"
SER=$($CTL --token-file "$TMP/va.tok" --json subscriber show --id "$(jget "$TMP/s.json" subscriber.id)" | \
	$PY -c 'import json,sys; print(json.load(sys.stdin)["serial"])')
$CTL --token-file "$TMP/va.tok" --json cert show --serial "$SER" >"$TMP/c.json"
jget "$TMP/c.json" pem >"$TMP/seal.pem"
check "the seal's certificate verifies up to the outside root" openssl verify -CAfile "$TMP/root.pem" \
	-untrusted "$TMP/agency.pem" -purpose any "$TMP/seal.pem"
check "the profile's policy OID and extended key usage are in it" bash -c \
	"openssl x509 -in '$TMP/seal.pem' -noout -ext certificatePolicies,extendedKeyUsage | grep -q 2.16.360.1.1.2 && \
	openssl x509 -in '$TMP/seal.pem' -noout -ext extendedKeyUsage | grep -q 'E-mail Protection'"
check "its validity is the profile's 365 days" bash -c \
	"openssl x509 -in '$TMP/seal.pem' -noout -checkend \$((364 * 86400)) && ! openssl x509 -in '$TMP/seal.pem' -noout -checkend \$((366 * 86400))"
check "its CRL distribution point names the imported CA" bash -c \
	"openssl x509 -in '$TMP/seal.pem' -noout -ext crlDistributionPoints | grep -q '/crl/agency-ca.crl'"
curl -s --cacert "$D/ca.pem" -o "$TMP/crl.der" "$URL/crl/agency-ca.crl"
cat "$TMP/agency.pem" "$TMP/root.pem" >"$TMP/chain.pem"
check "GET /crl/agency-ca.crl verifies against the outside chain" bash -c \
	"openssl crl -inform DER -in '$TMP/crl.der' -CAfile '$TMP/chain.pem' -noout -verify 2>&1 | grep -q 'verify OK'"
openssl ocsp -issuer "$TMP/agency.pem" -sha256 -cert "$TMP/seal.pem" -reqout "$TMP/o.req" >/dev/null 2>&1
curl -s -o "$TMP/o.resp" --cacert "$D/ca.pem" -H 'Content-Type: application/ocsp-request' \
	--data-binary @"$TMP/o.req" "$URL/ocsp"
check "OCSP: good, signed by the imported CA, verified up to the outside root" bash -c \
	"openssl ocsp -respin '$TMP/o.resp' -reqin '$TMP/o.req' -no_nonce -issuer '$TMP/agency.pem' -sha256 \
	-cert '$TMP/seal.pem' -CAfile '$TMP/root.pem' -verify_other '$TMP/agency.pem' 2>&1 | grep -q 'seal.pem: good'"
for _ in $(seq 50); do ls "$D/mail/new/"* >/dev/null 2>&1 && break; sleep 0.1; done
check "the officer's email went into the demo maildir" bash -c "grep -l 'arsip@agency.go.id' '$D'/mail/new/* | \
	xargs grep -q '$SER'"
check "audit verify" bash -c "$CTL --json audit verify | grep -q '\"ok\": true'"
check "the import and the request are audited" bash -c "$CTL audit export | grep -q 'cert.import' && \
	$CTL audit export | grep -q 'key.csr'"
finish
