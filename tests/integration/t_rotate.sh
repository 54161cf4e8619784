#!/usr/bin/env bash
# Key rotation under load: while two clients seal without pause, the
# admin rotates the seal key twice, the issuing CA and the TSA key. No
# request fails; new seals carry the new certificates and verify (pdfsig,
# openssl verify, openssl ts -verify); the old keys and certificates stay
# for verification; OCSP answers for certificates of both CA keys.
. "$(dirname "$0")/lib.sh"
esd_init
esd_start
CTL="$ESIGNCTL -c $D/esignd.conf"
AUTH="Authorization: Bearer $TOKEN"
PDF="$CORPUS/xref-table.pdf"
load() { # load N: seals until told to stop; one status per line
	local i=0
	while [ ! -e "$TMP/stop" ]; do
		i=$((i + 1))
		curl -s -o /dev/null -w '%{http_code}\n' -m 20 --cacert "$D/ca.pem" -H "$AUTH" \
			-d "{\"digest\":\"$(printf '%064x' "$1$i")\"}" "$URL/v1/seal/hash"
	done >"$TMP/load.$1"
}
signer_cert() { # signer_cert PDF OUT: the seal's certificate (CN Demo Agency Seal)
	local f
	cms_of "$1" "$TMP/cms"
	rm -f "$TMP"/cert-*.pem
	openssl pkcs7 -inform DER -in "$TMP/cms.der" -print_certs 2>/dev/null |
		awk -v d="$TMP" '/BEGIN CERT/{n++} n{print > (d "/cert-" n ".pem")}'
	for f in "$TMP"/cert-*.pem; do
		openssl x509 -in "$f" -noout -subject | grep -q 'Demo Agency Seal' && cp "$f" "$2"
	done
}
signer_serial() { # the serial of a sealed PDF's signer, as DB_CERTS keys it
	signer_cert "$1" "$TMP/s.pem"
	openssl x509 -in "$TMP/s.pem" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f' | sed 's/^0*//'
}
curl -s -o "$TMP/before.pdf" --cacert "$D/ca.pem" -H "$AUTH" -F "file=@$PDF" "$URL/v1/seal"
OLD=$(signer_serial "$TMP/before.pdf")
load 1 & L1=$!
load 2 & L2=$!
sleep 1
check "esignctl keys rotate demo-seal under load" $CTL keys rotate --label demo-seal
sleep 0.5
check "... again" $CTL --json keys rotate --label demo-seal
check "the issuing CA is rotated" $CTL keys rotate --label issuing-ca
check "the TSA key is rotated" $CTL keys rotate --label tsa
check "rotating demo-seal after its CA" $CTL --json keys rotate --label demo-seal
sleep 1
touch "$TMP/stop"
wait $L1 $L2
N=$(cat "$TMP"/load.* | wc -l)
check "the load ran ($N seals)" test "$N" -gt 20
eq "no request failed during the rotations" 0 "$(grep -v -c '^200$' "$TMP"/load.* | awk -F: '{s += $NF} END {print s}')"
eq "a root is not rotated (exit 1)" 1 "$($CTL keys rotate --label root-ca >/dev/null 2>&1; echo $?)"
eq "an unknown label (exit 1)" 1 "$($CTL keys rotate --label nope >/dev/null 2>&1; echo $?)"
$CTL keys list >"$TMP/keys"
check "the old and new keys are all in the token" bash -c \
	"grep -q '^demo-seal ' '$TMP/keys' && grep -q '^demo-seal.2 ' '$TMP/keys' && grep -q '^demo-seal.4 ' '$TMP/keys' && grep -q '^issuing-ca.2 ' '$TMP/keys'"
eq "a seal after the rotations: 200" 200 "$(curl -s -o "$TMP/after.pdf" -w '%{http_code}' --cacert "$D/ca.pem" \
	-H "$AUTH" -F "file=@$PDF" -F level=B-T "$URL/v1/seal")"
NEW=$(signer_serial "$TMP/after.pdf")
check "it is signed by a new certificate" test -n "$NEW" -a "$NEW" != "$OLD"
# The front kept demo-seal's certificates from the seals before; the
# keeper refused them (key_changed), the front asked again, no client saw it.
check "the front's kept key was refused and asked for again" \
	grep -aq "for ''; it is now 'demo-seal.4'" "$TMP/daemon.log"
check "pdfsig: valid" bash -c "pdfsig '$TMP/after.pdf' | grep -q 'Signature is Valid'"
$CTL --json cert list >"$TMP/certs.json"
/usr/bin/python3 - "$TMP/certs.json" "$NEW" "$OLD" "$TMP" <<'PY'
import json, sys
certs = {c["serial"]: c for c in json.load(open(sys.argv[1]))["certs"]}
new, old, tmp = sys.argv[2], sys.argv[3], sys.argv[4]
open(tmp + "/new-key", "w").write(certs[new]["key"])
open(tmp + "/new-issuer", "w").write(certs[new]["issuer"])
open(tmp + "/old-status", "w").write(certs[old]["status"])
PY
eq "the new seal key is demo-seal.4" demo-seal.4 "$(cat "$TMP/new-key")"
eq "issued by the rotated CA" issuing-ca.2 "$(cat "$TMP/new-issuer")"
eq "the old certificate stays valid" valid "$(cat "$TMP/old-status")"
check "pdfsig still validates the seal made before" bash -c "pdfsig '$TMP/before.pdf' | grep -q 'Signature is Valid'"
curl -s --cacert "$D/ca.pem" -o "$TMP/ca2.der" "$URL/ca/issuing-ca.2.crt"
openssl x509 -inform DER -in "$TMP/ca2.der" -out "$TMP/ca2.pem"
signer_cert "$TMP/after.pdf" "$TMP/signer.pem"
check "openssl verify: the new seal certificate chains through the new CA" \
	openssl verify -CAfile "$D/ca.pem" -untrusted "$TMP/ca2.pem" -purpose any "$TMP/signer.pem"
openssl ocsp -issuer "$TMP/ca2.pem" -sha256 -cert "$TMP/signer.pem" -reqout "$TMP/o.req" >/dev/null 2>&1
curl -s -o "$TMP/o.resp" --cacert "$D/ca.pem" -H 'Content-Type: application/ocsp-request' \
	--data-binary @"$TMP/o.req" "$URL/ocsp"
check "OCSP answers 'good' for it, signed by the new CA" bash -c \
	"openssl ocsp -respin '$TMP/o.resp' -reqin '$TMP/o.req' -no_nonce -issuer '$TMP/ca2.pem' -sha256 \
	-cert '$TMP/signer.pem' -CAfile '$D/ca.pem' -verify_other '$TMP/ca2.pem' 2>&1 | grep -q 'signer.pem: good'"
printf 'after rotation' >"$TMP/data"
openssl ts -query -data "$TMP/data" -sha256 -cert -out "$TMP/q.tsq" 2>/dev/null
curl -s -o "$TMP/r.tsr" --cacert "$D/ca.pem" -H 'Content-Type: application/timestamp-query' \
	--data-binary @"$TMP/q.tsq" "$URL/tsa"
check "timestamps come from the new TSA key (openssl ts -verify)" bash -c \
	"openssl ts -verify -in '$TMP/r.tsr' -data '$TMP/data' -CAfile '$D/ca.pem' -untrusted '$D/issuing-ca.pem' | grep -q 'Verification: OK' && \
	openssl ts -reply -in '$TMP/r.tsr' -token_out -out '$TMP/tst.der' && \
	openssl pkcs7 -inform DER -in '$TMP/tst.der' -print_certs | grep -q 'Time Stamping'"
eq "the rotations are audited" 5 "$($CTL audit export | grep -c '"action":"keys.rotate"')"
check "audit verify" $CTL audit verify
finish
