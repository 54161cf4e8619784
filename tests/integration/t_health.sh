#!/usr/bin/env bash
# Health, status and metrics over both listeners, with real curl.
. "$(dirname "$0")/lib.sh"
esd_init
esd_start

eq "health over HTTPS (curl --cacert ca.pem) is 200" 200 "$(https_code /v1/health)"
check "health reports token, store and clock ok" grep -q '"ok":true,"checks":{"token":{"ok":true' "$TMP/body"
eq "health over the Unix socket is 200" 200 "$(unix_code /v1/health)"
check "TLS certificate verifies for 127.0.0.1 against the demo CA" \
	bash -c "openssl s_client -connect 127.0.0.1:$PORT -CAfile $D/ca.pem -verify_return_error -verify_ip 127.0.0.1 </dev/null"
check "TLS certificate also verifies for localhost" \
	curl -sf --cacert "$D/ca.pem" --resolve "localhost:$PORT:127.0.0.1" "https://localhost:$PORT/v1/health"

eq "status without a credential over HTTPS is 401" 401 "$(https_code /v1/status)"
eq "status error code is unauthorized" unauthorized "$(json_err)"
eq "status with the admin bearer token is 200" 200 "$(https_code /v1/status -H "Authorization: Bearer $TOKEN")"
check "status names the SoftHSM token" grep -q '"manufacturer":"SoftHSM' "$TMP/body"
eq "status over the Unix socket (SO_PEERCRED admin) is 200" 200 "$(unix_code /v1/status)"

check "esignctl status" "$ESIGNCTL" -c "$D/esignd.conf" status
check "esignctl --json status is JSON with health" \
	bash -c "'$ESIGNCTL' -c '$D/esignd.conf' --json status | grep -q '\"health\"'"
check "esignctl -s SOCKET keys list shows the four demo keys" \
	bash -c "'$ESIGNCTL' -s '$SOCK' keys list | grep -c -E '^(root-ca|issuing-ca|demo-seal|demo-individual) ' | grep -qx 4"

eq "metrics is 200" 200 "$(https_code /metrics)"
for m in esignd_http_requests_total esignd_sign_seconds_bucket esignd_token_errors_total esignd_keeper_queue_depth; do
	check "metrics has $m" grep -q "^$m" "$TMP/body"
done
check "metrics counted the 401 on status" grep -q 'esignd_http_requests_total{route="status",code="401"} 1' "$TMP/body"

finish
