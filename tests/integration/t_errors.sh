#!/usr/bin/env bash
# Bad input gets a 4xx with a stable error code, the daemon keeps
# answering, and LMDB is left exactly as it was.
. "$(dirname "$0")/lib.sh"
esd_init
esd_start
AUTH="Authorization: Bearer $TOKEN"

# still_fine "after what": daemon answers and the state is unchanged.
before=$(state_sum)
check "the store reads" store_check
still_fine() {
	eq "after $1: health is still 200" 200 "$(https_code /v1/health)"
	eq "after $1: the store is unchanged" "$before" "$(state_sum)"
}

eq "malformed JSON is 400" 400 "$(https_code /v1/keys -H "$AUTH" -d '{"label":')"
eq "malformed JSON answers malformed_json" malformed_json "$(json_err)"
check "the error names the problem" grep -q '"message":"invalid JSON' "$TMP/body"
still_fine "malformed JSON"

eq "a JSON array instead of an object is 400" 400 "$(https_code /v1/keys -H "$AUTH" -d '[1,2]')"
eq "an empty body is 400" 400 "$(https_code /v1/keys -H "$AUTH" -X POST)"
eq "duplicate JSON keys are 400" 400 "$(https_code /v1/keys -H "$AUTH" -d '{"label":"a","label":"b","type":"rsa2048"}')"
eq "an unknown field is 400" 400 "$(https_code /v1/keys -H "$AUTH" -d '{"label":"a","type":"rsa2048","x":1}')"
eq "a number where a string belongs is 400" 400 "$(https_code /v1/keys -H "$AUTH" -d '{"label":5,"type":"rsa2048"}')"
printf '{"label":"a\x00b","type":"rsa2048"}' >"$TMP/nul.json"
eq "a NUL inside a JSON string is 400" 400 "$(https_code /v1/keys -H "$AUTH" --data-binary @"$TMP/nul.json")"
head -c 3000 /dev/urandom >"$TMP/junk"
eq "random bytes are 400" 400 "$(https_code /v1/keys -H "$AUTH" --data-binary @"$TMP/junk")"
still_fine "hostile JSON"

eq "an unknown route is 404" 404 "$(https_code /v1/nothing-here)"
eq "an unknown route answers not_found" not_found "$(json_err)"
eq "a wrong method is 405" 405 "$(https_code /v1/health -X DELETE)"
check "a 405 names the allowed methods" bash -c \
	"curl -s -D - -o /dev/null --cacert '$D/ca.pem' -X DELETE '$URL/v1/keys' | grep -qi '^Allow: GET, POST'"
eq "path traversal is 404" 404 "$(https_code /v1/keys/../../etc/passwd/sign --path-as-is)"
still_fine "unknown routes"

eq "no token is 401" 401 "$(https_code /v1/keys)"
eq "a wrong token is 401" 401 "$(https_code /v1/keys -H "Authorization: Bearer $(printf '%064d' 0)")"
eq "a malformed token is 401" 401 "$(https_code /v1/keys -H 'Authorization: Bearer abc')"
eq "another auth scheme is 401" 401 "$(https_code /v1/keys -H 'Authorization: Basic YTpi')"
eq "a wrong token when creating a key is 401" 401 \
	"$(https_code /v1/keys -H "Authorization: Bearer $(printf '%064d' 1)" -d '{"label":"x","type":"rsa2048"}')"
still_fine "bad credentials"

# A refusal decided from the head reaches a client that sends its small
# body at once (no Expect: 100-continue): the body is read and dropped,
# not left unread to make the kernel reset the connection under the
# answer.
head -c 200000 /dev/urandom >"$TMP/200k.pdf"
codes=""
for i in $(seq 1 20); do
	codes="$codes $(https_code /v1/seal -H 'Expect:' -F "file=@$TMP/200k.pdf")"
done
eq "20 uploads of 200 kB without a credential or Expect are each answered 401" \
	"$(printf ' 401%.0s' $(seq 1 20))" "$codes"
eq "... in the stable form" "401 unauthorized" \
	"$(https_code /v1/seal -H 'Expect:' -F "file=@$TMP/200k.pdf") $(json_err)"
still_fine "refusals before a body"

# Body limit: lowered by a config reload (SIGHUP), which also proves reload.
sed -i 's/^max_body = .*/max_body = 4096/' "$D/esignd.conf"
kill -HUP "$MASTER"
for _ in $(seq 50); do grep -q "front: configuration reloaded" "$TMP/daemon.log" && break; sleep 0.1; done
head -c 5000 /dev/zero | tr '\0' 'a' >"$TMP/big"
eq "a body over max_body (Content-Length) is 413" 413 "$(https_code /v1/keys -H "$AUTH" --data-binary @"$TMP/big")"
eq "413 answers payload_too_large" payload_too_large "$(json_err)"
eq "a chunked body over max_body is 413" 413 \
	"$(https_code /v1/keys -H "$AUTH" -H 'Transfer-Encoding: chunked' --data-binary @"$TMP/big")"
eq "a body under max_body is still parsed (400 for junk)" 400 \
	"$(https_code /v1/keys -H "$AUTH" --data-binary @"$TMP/junk")"
still_fine "oversized bodies"

# A reload with a broken file is refused and the daemon keeps running.
echo "bogus_key = 1" >>"$D/esignd.conf"
kill -HUP "$MASTER"
for _ in $(seq 50); do grep -q "reload refused" "$TMP/daemon.log" && break; sleep 0.1; done
check "a broken config on reload is refused with file and line" \
	grep -q "reload refused.*esignd.conf:[0-9]*: unknown key 'bogus_key'" "$TMP/daemon.log"
eq "413 limit from the last good config still applies" 413 \
	"$(https_code /v1/keys -H "$AUTH" --data-binary @"$TMP/big")"
still_fine "a refused reload"

# Garbage straight onto the sockets.
check "raw garbage on the TLS port is survived" bash -c \
	"head -c 2000 /dev/urandom | timeout 5 bash -c 'cat >/dev/tcp/127.0.0.1/$PORT' || true"
check "raw garbage on the Unix socket is survived" bash -c \
	"head -c 2000 /dev/urandom | timeout 5 socat - UNIX-CONNECT:$SOCK >/dev/null || true"
# libmicrohttpd answers 414, or closes the connection when its memory
# pool is full first; either way nothing is processed.
code=$(https_code "/v1/$(head -c 100000 /dev/zero | tr '\0' a)")
check "a request line of 100 kB is refused (got $code: 4xx or closed)" \
	bash -c "[[ '$code' == 4* || '$code' == 000 ]]"
still_fine "socket garbage"

finish
