#!/usr/bin/env bash
# Trusted time (signatures refused on an unsynchronised clock when the
# config asks for it) and TLS versions.
. "$(dirname "$0")/lib.sh"
esd_init
esd_start
AUTH="Authorization: Bearer $TOKEN"
seal() { curl -s -D "$TMP/hdr" -o "$TMP/body" -w '%{http_code}' --cacert "$D/ca.pem" -H "$AUTH" \
	-F "file=@$CORPUS/xref-table.pdf" "$@" "$URL/v1/seal"; }

https_code /v1/health >/dev/null
check "health reports the kernel's clock synchronisation" grep -q '"synchronised":' "$TMP/body"
synced=$(sed -n 's/.*"synchronised":\([a-z]*\).*/\1/p' "$TMP/body")
eq "without require_synced_clock a seal is made either way" 200 "$(seal)"

echo "require_synced_clock = yes" >>"$D/esignd.conf"
kill -HUP "$MASTER"
for _ in $(seq 50); do grep -q "keeper: configuration reloaded" "$TMP/daemon.log" && break; sleep 0.1; done
if [ "$synced" = false ]; then
	eq "on an unsynchronised clock a seal is refused (503)" 503 "$(seal)"
	check "... saying why" grep -q 'not synchronised' "$TMP/body"
	check "... with Retry-After" grep -qi '^Retry-After: 1' "$TMP/hdr"
	eq "a timestamp is refused too" 503 "$(printf x >"$TMP/d"; openssl ts -query -data "$TMP/d" -sha256 -out "$TMP/q" 2>/dev/null;
		curl -s -o /dev/null -w '%{http_code}' --cacert "$D/ca.pem" -H 'Content-Type: application/timestamp-query' \
		--data-binary @"$TMP/q" "$URL/tsa")"
	eq "health is 503 with the clock not ok" 503 "$(https_code /v1/health)"
	check "... and names the clock" grep -q '"clock":{"ok":false' "$TMP/body"
else
	eq "on a synchronised clock a seal is made (200)" 200 "$(seal)"
	ok "# SKIP the clock here is synchronised: refusal not exercised"
fi
sed -i '/^require_synced_clock/d' "$D/esignd.conf"
kill -HUP "$MASTER"
sleep 0.5

# TLS 1.2 and 1.3 only.
tls() { openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$D/ca.pem" "$@" </dev/null >"$TMP/tls.out" 2>&1; }
check "TLS 1.3 is accepted" tls -tls1_3
check "TLS 1.2 is accepted" tls -tls1_2
check "TLS 1.1 is refused" bash -c "! openssl s_client -connect 127.0.0.1:$PORT -tls1_1 -cipher 'DEFAULT@SECLEVEL=0' </dev/null >/dev/null 2>&1"
check "TLS 1.0 is refused" bash -c "! openssl s_client -connect 127.0.0.1:$PORT -tls1 -cipher 'DEFAULT@SECLEVEL=0' </dev/null >/dev/null 2>&1"
finish
