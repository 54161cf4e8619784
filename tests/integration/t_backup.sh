#!/usr/bin/env bash
# Backup while esignd runs, restore into a new instance that then serves
# the same state (keys, requests, audit chain with its signed
# checkpoints); refusals of a bad restore; a diagnostics bundle that holds
# no secret.
. "$(dirname "$0")/lib.sh"
lmdb_only "esignctl backup copies the LMDB file; PostgreSQL is backed up with its own tools (docs/cluster.md)"
esd_init
esd_start
CTL="$ESIGNCTL -c $D/esignd.conf"
esd_verifiers
$VA --json user register --name "Dewi" --nik 3171000000000011 --email dewi@agency.go.id \
	--unit TU >"$TMP/r.json"
$VB request approve --id "$(jget "$TMP/r.json" request.id)" >/dev/null
curl -s -o /dev/null --cacert "$D/ca.pem" -H "Authorization: Bearer $TOKEN" \
	-d "{\"digest\":\"$(printf x | sha256sum | cut -d' ' -f1)\"}" "$URL/v1/seal/hash"
$CTL keys list >"$TMP/keys1"
$VA --json request list >"$TMP/req1"
check "esignctl backup while esignd runs" $CTL backup --out "$TMP/state.bak"
check "the backup is an LMDB file (mdb_stat)" bash -c \
	"mkdir '$TMP/bk' && cp '$TMP/state.bak' '$TMP/bk/data.mdb' && mdb_stat -a '$TMP/bk' >/dev/null"
check "no partial file is left" test ! -e "$TMP/state.bak.partial"

# A second instance: the same token files and configuration, restored state.
D2="$TMP/inst2"
mkdir "$D2"
(cd "$D" && cp -a tokens pin so-pin ca.pem issuing-ca.pem tls admin.token softhsm2.conf esignd.conf "$D2/")
sed -i "s|$D/tokens|$D2/tokens|" "$D2/softhsm2.conf"
PORT2=$(free_port)
sed -i -e "s/^https_listen = .*/https_listen = 127.0.0.1:$PORT2/" \
	-e "s/^public_listen = .*/public_listen =/" "$D2/esignd.conf"
check "esignctl restore into a new state directory" $CTL restore --from "$TMP/state.bak" --dir "$D2/state"
eq "restoring over an existing directory is refused (exit 4)" 4 \
	"$($CTL restore --from "$TMP/state.bak" --dir "$D2/state" >/dev/null 2>&1; echo $?)"
head -c 100000 "$TMP/state.bak" >"$TMP/cut.bak"
eq "a truncated backup is refused (exit 4)" 4 \
	"$($CTL restore --from "$TMP/cut.bak" --dir "$TMP/state3" >/dev/null 2>&1; echo $?)"
check "... and leaves no directory behind" test ! -e "$TMP/state3"
"$ESIGND" -c "$D2/esignd.conf" -f >>"$TMP/daemon2.log" 2>&1 &
M2=$!
for _ in $(seq 100); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$D/ca.pem" "https://127.0.0.1:$PORT2/v1/health")" = 200 ] && break
	sleep 0.1
done
CTL2="$ESIGNCTL -c $D2/esignd.conf"
eq "the restored instance serves" 200 "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$D/ca.pem" "https://127.0.0.1:$PORT2/v1/health")"
check "with the same keys" bash -c "$CTL2 keys list | sort | diff - <(sort '$TMP/keys1')"
check "the same requests" bash -c "$CTL2 --token-file '$TMP/va.tok' --json request list | cmp - '$TMP/req1'"
check "its audit chain and signed checkpoints verify" $CTL2 audit verify
eq "and it seals" 200 "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$D/ca.pem" \
	-H "Authorization: Bearer $TOKEN" -d "{\"digest\":\"$(printf y | sha256sum | cut -d' ' -f1)\"}" \
	"https://127.0.0.1:$PORT2/v1/seal/hash")"
kill -TERM "$M2"
wait "$M2" 2>/dev/null

# Diagnostics.
check "esignctl diag" $CTL diag --out "$TMP/diag.tar.gz" --log "$TMP/daemon.log"
mkdir "$TMP/diag"
tar -xzf "$TMP/diag.tar.gz" -C "$TMP/diag"
for f in versions.txt esignd.conf health.json status.json keys.json certificates.json audit-verify.json esignd.log; do
	check "the bundle has $f" test -s "$TMP/diag/$f"
done
check "the configuration's pin_file is redacted" grep -q '^pin_file *= <redacted>' "$TMP/diag/esignd.conf"
check "health carries the clock state" grep -q '"clock"' "$TMP/diag/health.json"
check "no PIN, SO PIN, admin or verifier token in the bundle" bash -c \
	"! grep -r -q -e '$(cat "$D/pin")' -e '$(cat "$D/so-pin")' -e '$TOKEN' -e '$(cat "$TMP/va.tok")' '$TMP/diag'"
finish
