#!/usr/bin/env bash
# Optional mutual TLS (tls_client_ca): HTTPS callers must also present a
# certificate from the configured CA; health and metrics stay open for
# probes; the Unix socket is not affected.
. "$(dirname "$0")/lib.sh"
esd_init
cd "$TMP" || exit 1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout cca.key -out cca.pem \
	-days 30 -subj "/CN=Client CA" -addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout app.key -out app.csr \
	-subj "/CN=agency-app" 2>/dev/null
printf 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n' >ext
openssl x509 -req -in app.csr -CA cca.pem -CAkey cca.key -CAcreateserial -days 30 -extfile ext -out app.pem 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key -out other.pem \
	-days 30 -subj "/CN=Stranger" 2>/dev/null
cd - >/dev/null || exit 1
printf 'tls_client_ca = %s\n' "$TMP/cca.pem" >>"$D/esignd.conf"
esd_start
BEARER=(-H "Authorization: Bearer $TOKEN")
eq "without a client certificate: 401" 401 "$(https_code /v1/status "${BEARER[@]}")"
check "... saying a client certificate is required" grep -q 'client certificate' "$TMP/body"
eq "with one from tls_client_ca (and the bearer): 200" 200 \
	"$(https_code /v1/status "${BEARER[@]}" --cert "$TMP/app.pem" --key "$TMP/app.key")"
code=$(https_code /v1/status "${BEARER[@]}" --cert "$TMP/other.pem" --key "$TMP/other.key")
check "a certificate from another CA is refused (handshake or 401)" test "$code" = 000 -o "$code" = 401
eq "the certificate does not replace the bearer: 401 without it" 401 \
	"$(https_code /v1/status --cert "$TMP/app.pem" --key "$TMP/app.key")"
eq "/v1/health stays open for probes" 200 "$(https_code /v1/health)"
eq "the Unix socket is not affected" 200 "$(unix_code /v1/status)"
finish
