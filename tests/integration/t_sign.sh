#!/usr/bin/env bash
# Digest signing through the daemon, judged by openssl against public keys
# read from the token with pkcs11-tool; key attributes checked the same way.
. "$(dirname "$0")/lib.sh"
esd_init
esd_start
P11="pkcs11-tool --module $P11MOD --login --pin $(cat "$D/pin")"

printf 'esignd digest test' >"$TMP/msg"
openssl dgst -sha256 -binary "$TMP/msg" >"$TMP/dg.bin"
DG=$(xxd -p -c 64 "$TMP/dg.bin")

export_pub() { # label -> $TMP/label.pem
	pkcs11-tool --module $P11MOD --read-object --type pubkey --label "$1" -o "$TMP/$1.der" >/dev/null 2>&1 &&
		openssl pkey -pubin -inform DER -in "$TMP/$1.der" -out "$TMP/$1.pem"
}
check "pkcs11-tool exports the demo-seal public key" export_pub demo-seal

check "esignctl keys sign (rsa-pkcs1) writes a signature" \
	"$ESIGNCTL" -c "$D/esignd.conf" keys sign --key demo-seal --digest "$DG" --out "$TMP/sig1.bin"
check "openssl pkeyutl -verify accepts the PKCS#1 v1.5 signature" \
	openssl pkeyutl -verify -pubin -inkey "$TMP/demo-seal.pem" -in "$TMP/dg.bin" -sigfile "$TMP/sig1.bin" -pkeyopt digest:sha256
check "openssl dgst -verify accepts it over the message" \
	openssl dgst -sha256 -verify "$TMP/demo-seal.pem" -signature "$TMP/sig1.bin" "$TMP/msg"

check "esignctl keys sign --alg rsa-pss" \
	"$ESIGNCTL" -c "$D/esignd.conf" keys sign --key demo-seal --alg rsa-pss --digest "$DG" --out "$TMP/sig2.bin"
check "openssl pkeyutl -verify accepts the RSA-PSS signature" \
	openssl pkeyutl -verify -pubin -inkey "$TMP/demo-seal.pem" -in "$TMP/dg.bin" -sigfile "$TMP/sig2.bin" \
	-pkeyopt digest:sha256 -pkeyopt rsa_padding_mode:pss -pkeyopt rsa_pss_saltlen:digest

check "esignctl keys generate --type ec-p256" \
	"$ESIGNCTL" -c "$D/esignd.conf" keys generate --label ec-test --type ec-p256
check "esignctl keys generate --type rsa3072 (JSON output)" \
	bash -c "'$ESIGNCTL' -c '$D/esignd.conf' --json keys generate --label rsa3k --type rsa3072 | grep -q '\"type\": \"rsa3072\"'"
check "pkcs11-tool exports the new EC public key" export_pub ec-test
check "esignctl keys sign --alg ecdsa" \
	"$ESIGNCTL" -c "$D/esignd.conf" keys sign --key ec-test --alg ecdsa --digest "$DG" --out "$TMP/sig3.bin"
check "openssl pkeyutl -verify accepts the ECDSA signature" \
	openssl pkeyutl -verify -pubin -inkey "$TMP/ec-test.pem" -in "$TMP/dg.bin" -sigfile "$TMP/sig3.bin"

# Raw signing is an oracle: Unix socket and admin peer only.
eq "raw sign does not exist over HTTPS (404)" 404 \
	"$(https_code /v1/keys/demo-seal/sign -H "Authorization: Bearer $TOKEN" -d "{\"digest\":\"$DG\",\"alg\":\"rsa-pkcs1\"}")"
eq "raw sign with a bearer token on the Unix socket is 403" 403 \
	"$(unix_code /v1/keys/demo-seal/sign -H "Authorization: Bearer $TOKEN" -d "{\"digest\":\"$DG\",\"alg\":\"rsa-pkcs1\"}")"
eq "ecdsa on an RSA key is 400" 400 \
	"$(unix_code /v1/keys/demo-seal/sign -d "{\"digest\":\"$DG\",\"alg\":\"ecdsa\"}")"
eq "a digest of the wrong length is 400" 400 \
	"$(unix_code /v1/keys/demo-seal/sign -d '{"digest":"abcd","alg":"rsa-pkcs1"}')"
eq "an unknown key is 404" 404 \
	"$(unix_code /v1/keys/nope/sign -d "{\"digest\":\"$DG\",\"alg\":\"rsa-pkcs1\"}")"
eq "generating an existing label is 409" 409 \
	"$(unix_code /v1/keys -d '{"label":"demo-seal","type":"rsa2048"}')"
eq "a label with a slash is 400" 400 "$(unix_code /v1/keys -d '{"label":"a/b","type":"rsa2048"}')"
eq "an unknown key type is 400" 400 "$(unix_code /v1/keys -d '{"label":"x1","type":"dsa"}')"

# Every private key on the token is sensitive and was never extractable.
$P11 --list-objects --type privkey >"$TMP/objs" 2>/dev/null
eq "the token holds 9 private keys" 9 "$(grep -c '^Private Key Object' "$TMP/objs")"
eq "all 9 are sensitive, always sensitive and never extractable" 9 \
	"$(grep -c 'Access:.*sensitive, always sensitive, never extractable' "$TMP/objs")"
check "no private key allows decrypt or unwrap" bash -c "! grep -E 'Usage:.*(decrypt|unwrap)' '$TMP/objs'"
check "demo certificates are stored in the token" bash -c \
	"$P11 --list-objects --type cert 2>/dev/null | grep -c 'Certificate Object' | grep -qx 7"

# The demo chain verifies with openssl; the seal certificate is fit for signing.
"$ESIGNCTL" -c "$D/esignd.conf" --json keys list >"$TMP/keys.json"
awk '/"label": "demo-seal"/{f=1} f&&/"certificate"/{sub(/.*"certificate": "/,""); sub(/",?$/,""); gsub(/\\n/,"\n"); print; exit}' \
	"$TMP/keys.json" >"$TMP/seal.pem"
check "seal certificate chains to the demo root (openssl verify)" \
	openssl verify -CAfile "$D/ca.pem" -untrusted "$D/issuing-ca.pem" "$TMP/seal.pem"
check "seal certificate has nonRepudiation key usage" \
	bash -c "openssl x509 -in '$TMP/seal.pem' -noout -ext keyUsage | grep -q 'Non Repudiation'"
check "seal certificate matches the token's demo-seal key" \
	bash -c "cmp <(openssl x509 -in '$TMP/seal.pem' -noout -pubkey) '$TMP/demo-seal.pem'"

# Every signature left an audit record.
check "status counts the audit records of init, 3 signatures and 2 keys" \
	bash -c "'$ESIGNCTL' -c '$D/esignd.conf' --json status | grep -q '\"audit_records\": 1[0-9]'"
finish
