#!/usr/bin/env bash
# Token faults: when the token goes away, requests answer 503
# token_unavailable (never a crash) and the keeper reconnects by itself.
. "$(dirname "$0")/lib.sh"
esd_init
esd_start
DG=$(printf '%064x' 7)
sign_code() { unix_code /v1/keys/demo-seal/sign -d "{\"digest\":\"$DG\",\"alg\":\"rsa-pkcs1\"}"; }
K=$(keeper_pid)

eq "signing works" 200 "$(sign_code)"
mv "$D/tokens" "$D/tokens.away"
eq "with the token gone, signing is 503" 503 "$(sign_code)"
eq "... answering token_unavailable" token_unavailable "$(json_err)"
check "... with Retry-After" bash -c "curl -s -D - -o /dev/null --unix-socket '$SOCK' -d '{\"digest\":\"$DG\",\"alg\":\"rsa-pkcs1\"}' http://localhost/v1/keys/demo-seal/sign | grep -qi '^Retry-After: 1'"
eq "health is 503" 503 "$(https_code /v1/health)"
check "health names the token as the failing check" grep -q '"token":{"ok":false' "$TMP/body"
eq "sealing is 503 too" 503 "$(curl -s -o "$TMP/body" -w '%{http_code}' --cacert "$D/ca.pem" \
	-H "Authorization: Bearer $TOKEN" -F "file=@$CORPUS/xref-table.pdf" "$URL/v1/seal")"
eq "the keeper did not crash" "$K" "$(keeper_pid)"
https_code /metrics >/dev/null
check "metrics count token errors" grep -q '^esignd_token_errors_total [1-9]' "$TMP/body"
mv "$D/tokens.away" "$D/tokens"
check "after the token is back, health is 200 within 2 s" wait_health 2
eq "signing works again" 200 "$(sign_code)"
check "status counts the reconnect" bash -c \
	"'$ESIGNCTL' -c '$D/esignd.conf' --json status | grep -q '\"reconnects\": [1-9]'"
eq "still the same keeper process" "$K" "$(keeper_pid)"

# The same under load: seals run without pause while the token goes away
# twice and comes back; every answer is 200 or 503, never 500 or a
# dropped connection, and sealing resumes.
load() {
	local i=0
	while [ ! -e "$TMP/stop" ]; do
		i=$((i + 1))
		curl -s -o /dev/null -w '%{http_code}\n' -m 20 --cacert "$D/ca.pem" \
			-H "Authorization: Bearer $TOKEN" -d "{\"digest\":\"$(printf '%064x' "$1$i")\"}" \
			"$URL/v1/seal/hash"
	done >"$TMP/load.$1"
}
load 1 & L1=$!
load 2 & L2=$!
for _ in 1 2; do
	sleep 0.7
	mv "$D/tokens" "$D/tokens.away"
	sleep 0.7
	mv "$D/tokens.away" "$D/tokens"
done
wait_health 5
sleep 0.5
touch "$TMP/stop"
wait $L1 $L2
cat "$TMP"/load.* >"$TMP/codes"
check "under load: answers were given ($(wc -l <"$TMP/codes"))" test "$(wc -l <"$TMP/codes")" -gt 10
eq "... every one 200 or 503" 0 "$(grep -v -c -E '^(200|503)$' "$TMP/codes")"
check "... some 503 while the token was away" grep -q '^503$' "$TMP/codes"
eq "... and the last ones 200 again" 200 "$(tail -1 "$TMP/load.1")"
eq "the keeper never crashed" "$K" "$(keeper_pid)"
esd_stop

# Starting while the token is unavailable: serve, degraded, and recover.
mv "$D/tokens" "$D/tokens.away"
"$ESIGND" -c "$D/esignd.conf" -f >>"$TMP/daemon.log" 2>&1 &
MASTER=$!
for _ in $(seq 100); do [ -S "$SOCK" ] && [ "$(https_code /v1/health)" = 503 ] && break; sleep 0.05; done
eq "started without the token: health is 503" 503 "$(https_code /v1/health)"
mv "$D/tokens.away" "$D/tokens"
check "once the token appears, health is 200 within 2 s" wait_health 2
eq "and signing works" 200 "$(sign_code)"
esd_stop

# A refused PIN is never retried (it would lock the token): esignd stops.
cp "$D/pin" "$TMP/pin.good"
echo 1111 >"$D/pin"
timeout 20 "$ESIGND" -c "$D/esignd.conf" -f >>"$TMP/daemon.log" 2>&1
eq "with a refused PIN, esignd -f exits 1" 1 $?
eq "the PIN was tried once" 1 "$(grep -c 'the PIN was refused' "$TMP/daemon.log")"
cp "$TMP/pin.good" "$D/pin"
finish
