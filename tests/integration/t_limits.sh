#!/usr/bin/env bash
# Request limits: per-client rate, connections per address, header size,
# body size (see t_errors.sh) and slow clients (request_timeout).
. "$(dirname "$0")/lib.sh"
esd_init
sed -i 's/^request_timeout = .*/request_timeout = 2/' "$D/esignd.conf"
cat >>"$D/esignd.conf" <<EOC
rate_limit = 5
rate_burst = 5
max_connections_per_ip = 4
max_header_size = 8192
EOC
esd_start
AUTH="Authorization: Bearer $TOKEN"

# Rate: 5/s with bursts of 5 per client; health and metrics are exempt.
# 12 requests on one keep-alive connection (one TLS handshake): far
# faster than the rate refills, even on a loaded machine.
args=()
for i in $(seq 12); do args+=(-o "$TMP/burst.$i" "$URL/v1/status"); done
curl -s -w '%{http_code}\n' --cacert "$D/ca.pem" -H "$AUTH" "${args[@]}" >"$TMP/burst"
codes=$(tr '\n' ' ' <"$TMP/burst")
check "a burst over the limit gets 429s ($codes)" grep -q '^429$' "$TMP/burst"
check "... after the first 5 succeeded" bash -c "head -5 '$TMP/burst' | grep -vq '^200$' && exit 1 || exit 0"
check "... nothing else" test "$(grep -c -v -E '^(200|429)$' "$TMP/burst")" -eq 0
check "429 answers rate_limited" bash -c "grep -l '\"code\":\"rate_limited\"' '$TMP'/burst.* | grep -q ."
eq "health is never rate limited" 200 "$(https_code /v1/health)"
sleep 1.2
eq "after a second the client may go on" 200 "$(https_code /v1/status -H "$AUTH")"
eq "another client (the Unix socket admin) is not affected" 200 "$(unix_code /v1/status)"

# Connections per address: idle connections beyond the limit are refused.
fds=""
for i in 1 2 3 4 5 6; do exec {fd}<>/dev/tcp/127.0.0.1/$PORT; fds="$fds $fd"; done
sleep 0.3
eq "with 6 idle connections open, a new request is refused" 000 \
	"$(curl -s -o /dev/null -w '%{http_code}' -m 3 --cacert "$D/ca.pem" "$URL/v1/health")"
for fd in $fds; do exec {fd}>&-; done
sleep 0.3
eq "once they close, requests are served again" 200 "$(https_code /v1/health)"

# Slow clients: a connection that sends part of a request and then
# nothing is closed after request_timeout.
exec {slow}<>/dev/tcp/127.0.0.1/$PORT
printf '\x16\x03\x01' >&$slow
t0=$SECONDS
timeout 10 cat <&$slow >/dev/null
check "a stalled connection is closed within request_timeout + 2 s ($((SECONDS - t0)) s)" \
	test $((SECONDS - t0)) -le 4
exec {slow}>&-

# Header size.
big=$(head -c 20000 /dev/zero | tr '\0' a)
code=$(https_code /v1/health -H "X-Big: $big")
check "headers over max_header_size are refused ($code)" bash -c "[[ '$code' == 4* || '$code' == 000 ]]"
eq "health is still 200" 200 "$(https_code /v1/health)"
finish
