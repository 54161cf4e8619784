#!/usr/bin/env bash
# A keeper that stops answering: callers get 503 after keeper_timeout
# (never a hang), the broken channels are replaced, and once the keeper
# runs again every request succeeds.
. "$(dirname "$0")/lib.sh"
esd_init
echo "keeper_timeout = 1" >>"$D/esignd.conf"
esd_start
DG=$(printf '%064x' 9)
sign_code() { unix_code /v1/keys/demo-seal/sign -d "{\"digest\":\"$DG\",\"alg\":\"rsa-pkcs1\"}"; }
K=$(keeper_pid)

eq "signing works" 200 "$(sign_code)"
kill -STOP "$K"
t0=$SECONDS
eq "with the keeper stopped, signing answers 503" 503 "$(sign_code)"
eq "... unavailable" unavailable "$(json_err)"
eq "health answers 503 too" 503 "$(https_code /v1/health)"
eq "a third call as well (all channels broken by now)" 503 "$(sign_code)"
check "each answer came within keeper_timeout (3 calls in $((SECONDS - t0)) s)" test $((SECONDS - t0)) -le 6
kill -CONT "$K"
sleep 0.3
fails=0
for i in $(seq 10); do [ "$(sign_code)" = 200 ] || fails=$((fails + 1)); done
eq "after the keeper resumes, 10 signatures in a row succeed" 0 "$fails"
check "the master replaced the broken channels" grep -q "replaced a broken keeper channel" "$TMP/daemon.log"
eq "the same keeper process serves" "$K" "$(keeper_pid)"
eq "health is 200" 200 "$(https_code /v1/health)"
finish
