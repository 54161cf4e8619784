#!/usr/bin/env bash
# A compromised front against the real keeper: tests/tools/hostile_peer
# starts keeper_main() on a fresh instance (real token, real LMDB) and
# sends it forged frames over a real channel. A CRED_PEER frame that
# claims an admin uid, or hands over any descriptor but a connection
# accepted on unix_socket, is refused; the keeper reads the peer's uid
# from the connection itself (SO_PEERCRED). Then the real daemon: an
# admin on the Unix socket still is one.
. "$(dirname "$0")/lib.sh"
esd_init
if "$BUILD/tests/tools/hostile_peer" "$D/esignd.conf" >"$TMP/hf.out" 2>&1; then
	ok "the keeper refused every forged peer credential"
else
	not_ok "the keeper refused every forged peer credential"
fi
while read -r line; do
	case $line in
	"ok - "*) ok "${line#ok - }" ;;
	"not ok - "*) not_ok "${line#not ok - }" ;;
	esac
done <"$TMP/hf.out"
esd_start
eq "through the real front, the Unix socket's admin still reads /v1/status" 200 "$(unix_code /v1/status)"
eq "... and a bearer token is unchanged" 200 "$(https_code /v1/status -H "Authorization: Bearer $TOKEN")"
finish
