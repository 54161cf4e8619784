#!/usr/bin/env bash
# Signature timestamps from an outside TSA (tsa_url): a second esignd
# instance plays the outside authority. A B-T seal then carries its token
# (openssl ts -verify against its CA, not ours); an outside TSA that does
# not answer makes B-T fail with 503 while B-B still works; the public
# /tsa keeps stamping with the appliance's own key.
. "$(dirname "$0")/lib.sh"
# The outside TSA: its own instance, token and CA.
D_OUT="$TMP/outside"
P_OUT=$(free_port)
"$ESIGNCTL" init --dir "$D_OUT" --https-port "$P_OUT" >"$TMP/init-out.log" 2>&1 ||
	{ cat "$TMP/init-out.log"; echo "Bail out! outside TSA init"; exit 1; }
SOFTHSM2_CONF="$D_OUT/softhsm2.conf" "$ESIGND" -c "$D_OUT/esignd.conf" -f >>"$TMP/outside.log" 2>&1 &
OUT_PID=$!
esd_init
printf 'tsa_url = https://127.0.0.1:%s/tsa\ntsa_ca_file = %s\n' "$P_OUT" "$D_OUT/ca.pem" >>"$D/esignd.conf"
esd_start
for _ in $(seq 100); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$D_OUT/ca.pem" "https://127.0.0.1:$P_OUT/v1/health")" = 200 ] && break
	sleep 0.1
done
AUTH="Authorization: Bearer $TOKEN"
seal() { curl -s -o "$2" -w '%{http_code}' --cacert "$D/ca.pem" -H "$AUTH" -F "file=@$1" "${@:3}" "$URL/v1/seal"; }
eq "a B-T seal with the outside TSA: 200" 200 "$(seal "$CORPUS/xref-table.pdf" "$TMP/bt.pdf" -F level=B-T)"
cms_of "$TMP/bt.pdf" "$TMP/bt"
check "the CMS carries a signature timestamp" tst_of "$TMP/bt"
check "openssl ts -verify: the token is the outside TSA's, over the signature value" bash -c \
	"openssl ts -verify -token_in -in '$TMP/bt.tst' -data '$TMP/bt.sigval' -CAfile '$D_OUT/ca.pem' -untrusted '$D_OUT/issuing-ca.pem' | grep -q 'Verification: OK'"
check "... and not ours" bash -c \
	"! openssl ts -verify -token_in -in '$TMP/bt.tst' -data '$TMP/bt.sigval' -CAfile '$D/ca.pem' -untrusted '$D/issuing-ca.pem' 2>/dev/null | grep -q 'Verification: OK'"
check "the outside stamp is audited" bash -c "'$ESIGNCTL' -c '$D/esignd.conf' audit export | grep -q '\"action\":\"tsa.outside\"'"
printf 'public' >"$TMP/data"
openssl ts -query -data "$TMP/data" -sha256 -cert -out "$TMP/q.tsq" 2>/dev/null
curl -s -o "$TMP/r.tsr" --cacert "$D/ca.pem" -H 'Content-Type: application/timestamp-query' \
	--data-binary @"$TMP/q.tsq" "$URL/tsa"
check "the public /tsa still stamps with the appliance's own key" bash -c \
	"openssl ts -verify -in '$TMP/r.tsr' -data '$TMP/data' -CAfile '$D/ca.pem' -untrusted '$D/issuing-ca.pem' | grep -q 'Verification: OK'"
kill -TERM $OUT_PID
wait $OUT_PID 2>/dev/null
eq "with the outside TSA down, B-T is 503" 503 "$(seal "$CORPUS/xref-table.pdf" "$TMP/x.pdf" -F level=B-T)"
eq "... while B-B still works" 200 "$(seal "$CORPUS/xref-table.pdf" "$TMP/bb.pdf")"
finish
