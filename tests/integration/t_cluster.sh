#!/usr/bin/env bash
# esignd on PostgreSQL (docs/cluster.md): a throw-away server from the
# postgresql package's binaries (run as nobody when the test runs as
# root: postgres refuses root), an instance moved onto it with
# `esignctl store copy`, the schema check at startup, then one node end
# to end (a seal pdfsig accepts, the audit chain verifies) and two nodes
# on the same database and token: each sees the other's registrations,
# a seal code for N documents used through both at once seals exactly N,
# and kill -9 of one node loses nothing it acknowledged.
# Skipped (exit 77) when the postgresql server binaries are missing.
. "$(dirname "$0")/lib.sh"
ESD_STORE=lmdb # the test moves the instance to its own PostgreSQL server
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ] || [ ! -x "$PGBIN/pg_ctl" ]; then
	echo "1..0 # SKIP the postgresql server binaries (/usr/lib/postgresql/*/bin) are not installed"
	exit 77
fi
PSQL=$PGBIN/psql
[ -x "$PSQL" ] || PSQL=psql
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi; }
if [ "$(id -u)" = 0 ]; then
	chmod 711 "$TMP"
	mkdir -m 700 "$TMP/pg" && chown nobody "$TMP/pg"
else
	mkdir -m 700 "$TMP/pg"
fi
as_pg "$PGBIN/initdb" -D "$TMP/pg/data" -U esignd --auth=trust -E UTF8 >"$TMP/initdb.log" 2>&1 ||
	{ cat "$TMP/initdb.log"; echo "Bail out! initdb failed"; exit 1; }
PGPORT=$(free_port)
as_pg "$PGBIN/pg_ctl" -D "$TMP/pg/data" -l "$TMP/pg/server.log" -w -o \
	"-p $PGPORT -k $TMP/pg -c listen_addresses=127.0.0.1 -c max_connections=100" start >/dev/null ||
	{ cat "$TMP/pg/server.log"; echo "Bail out! the PostgreSQL server did not start"; exit 1; }
on_exit "as_pg '$PGBIN/pg_ctl' -D '$TMP/pg/data' -m fast stop >/dev/null"
sql() { "$PSQL" -X -q -t -A -h 127.0.0.1 -p "$PGPORT" -U esignd -d "$@"; }
sql postgres -c "CREATE DATABASE esignd" && sql postgres -c "CREATE DATABASE fresh" ||
	{ echo "Bail out! createdb failed"; exit 1; }
PGURI="postgresql://esignd@127.0.0.1:$PGPORT/esignd"
FRESH="postgresql://esignd@127.0.0.1:$PGPORT/fresh"

esd_init
printf 'argon2_memlimit_kib = 32768\n' >>"$D/esignd.conf"
CTL="$ESIGNCTL -c $D/esignd.conf"

# The instance moves from LMDB to PostgreSQL.
check "esignctl store copy: LMDB into an empty PostgreSQL database" \
	$ESIGNCTL store copy --from "lmdb:$D/state" --to "$PGURI"
eq "the copy holds every LMDB record" \
	"$(mdb_dump -a "$D/state" | grep -c '^ ' | awk '{print $1 / 2}')" \
	"$(sql esignd -c 'SELECT count(*) FROM esd_kv')"
eq "a second copy into the same database is refused: exit 4" 4 \
	"$($ESIGNCTL store copy --from "lmdb:$D/state" --to "$PGURI" >/dev/null 2>&1; echo $?)"
printf 'store = %s\n' "$PGURI" >>"$D/esignd.conf"

# The schema is checked at startup.
sed "s|^store = .*|store = $FRESH|" "$D/esignd.conf" >"$D/fresh.conf"
"$ESIGND" -c "$D/fresh.conf" -f >"$TMP/fresh.log" 2>&1
rc=$?; check "esignd refuses an unmigrated database (exit $rc)" test "$rc" -ne 0
check "... saying to run esignctl store migrate" grep -q 'esignctl store migrate' "$TMP/fresh.log"
check "esignctl store migrate brings it to the schema" bash -c \
	"$ESIGNCTL -c '$D/fresh.conf' store migrate | grep -q 'from version 0 to'"
check "a second migrate has nothing to do" bash -c \
	"$ESIGNCTL -c '$D/fresh.conf' store migrate | grep -q 'nothing to do'"
sql fresh -c "UPDATE esd_schema SET version = 999"
"$ESIGND" -c "$D/fresh.conf" -f >"$TMP/fresh2.log" 2>&1
rc=$?; check "esignd refuses a newer schema (exit $rc)" test "$rc" -ne 0
cat "$TMP/fresh2.log" >>"$TMP/fresh.log"
check "... saying to upgrade esignd" grep -q 'newer than this esignd' "$TMP/fresh.log"

# One node, end to end.
esd_start
A0=$($CTL --json audit verify | sed -n 's/.*"records": \([0-9]*\).*/\1/p')
eq "POST /v1/seal on PostgreSQL: 200" 200 "$(curl -s -o "$TMP/sealed.pdf" -w '%{http_code}' \
	--cacert "$D/ca.pem" -H "Authorization: Bearer $TOKEN" \
	-F "file=@$CORPUS/xref-table.pdf;type=application/pdf" "$URL/v1/seal")"
check "pdfsig: the seal is valid" bash -c "pdfsig '$TMP/sealed.pdf' | grep -q 'Signature is Valid'"
check "esignctl audit verify passes" $CTL audit verify
A1=$($CTL --json audit verify | sed -n 's/.*"records": \([0-9]*\).*/\1/p')
check "the seal's record is in the chain ($A0 -> $A1 records)" test "$A1" -gt "$A0"
check "... and in PostgreSQL, not LMDB" test "$(sql esignd -c 'SELECT count(*) FROM esd_kv WHERE db = 4')" -ge "$A1"

eq "esignctl backup points at pg_dump for a PostgreSQL store: exit 2" "2 yes" \
	"$($CTL backup --out "$TMP/b.mdb" >"$TMP/b.out" 2>&1; echo $?) $(grep -q pg_dump "$TMP/b.out" && echo yes)"
check "store copy back into a new LMDB environment while the node runs" \
	$ESIGNCTL store copy --from "$PGURI" --to "lmdb:$TMP/back"
eq "... holds every record of its snapshot" \
	"$(sed -n 's/^copied \([0-9]*\) records.*/\1/p' "$TMP/check.out")" \
	"$(mdb_dump -a "$TMP/back" | grep -c '^ ' | awk '{print $1 / 2}')"

# A second node: its own listeners, the same database and token.
PORT2=$(free_port)
HTTP2=$(free_port)
sed -e "s|^https_listen = .*|https_listen = 127.0.0.1:$PORT2|" \
	-e "s|^public_listen = .*|public_listen = 127.0.0.1:$HTTP2|" \
	-e "s|^unix_socket = .*|unix_socket = node2.sock|" "$D/esignd.conf" >"$D/node2.conf"
URL2="https://127.0.0.1:$PORT2"
"$ESIGND" -c "$D/node2.conf" -f >>"$TMP/daemon2.log" 2>&1 &
NODE2=$!
on_exit "kill -TERM $NODE2"
for _ in $(seq 300); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$D/ca.pem" "$URL2/v1/health")" = 200 ] && break
	sleep 0.1
done
CTL2="$ESIGNCTL -c $D/node2.conf"
https_code_at() { # https_code_at BASE PATH [curl args...]
	local base=$1 path=$2
	shift 2
	curl -s -o "$TMP/body" -w '%{http_code}' --cacert "$D/ca.pem" "$@" "$base$path"
}
curl -sf -o /dev/null --cacert "$D/ca.pem" "$URL2/v1/health" ||
	{ cat "$TMP/daemon2.log"; echo "Bail out! the second node did not start"; exit 1; }
ok "the second node serves"

# A key rotated through node 2: node 1 seals with the new key at once
# (its cached key record is checked against the store).
signer_serial() { # the serial of a sealed PDF's seal certificate
	local f
	cms_of "$1" "$TMP/cms"
	rm -f "$TMP"/cert-*.pem
	openssl pkcs7 -inform DER -in "$TMP/cms.der" -print_certs 2>/dev/null |
		awk -v d="$TMP" '/BEGIN CERT/{n++} n{print > (d "/cert-" n ".pem")}'
	for f in "$TMP"/cert-*.pem; do
		openssl x509 -in "$f" -noout -subject | grep -q 'Demo Agency Seal' &&
			openssl x509 -in "$f" -noout -serial | cut -d= -f2
	done
}
OLD=$(signer_serial "$TMP/sealed.pdf")
check "esignctl keys rotate demo-seal through node 2" $CTL2 keys rotate --label demo-seal
eq "node 1 seals after the rotation: 200" 200 "$(curl -s -o "$TMP/rotated.pdf" -w '%{http_code}' \
	--cacert "$D/ca.pem" -H "Authorization: Bearer $TOKEN" \
	-F "file=@$CORPUS/xref-table.pdf;type=application/pdf" "$URL/v1/seal")"
NEW=$(signer_serial "$TMP/rotated.pdf")
check "... with the new key's certificate ($OLD -> $NEW)" test -n "$NEW" -a -n "$OLD" -a "$NEW" != "$OLD"
check "pdfsig: that seal is valid" bash -c "pdfsig '$TMP/rotated.pdf' | grep -q 'Signature is Valid'"

esd_verifiers
$VA --json seal register --name "Sistem Naskah Dinas" --org "Kementerian Contoh" \
	--email officer@agency.go.id --letter "$CORPUS/xref-table.pdf" >"$TMP/seal.json"
SEAL=$(jget "$TMP/seal.json" subscriber.id)
eq "node 2 sees the seal registered through node 1" 200 \
	"$(curl -s -o "$TMP/body" -w '%{http_code}' --cacert "$D/ca.pem" \
	-H "Authorization: Bearer $(cat "$TMP/vb.tok")" "$URL2/v1/ra/subscribers/$SEAL")"
$ESIGNCTL -c "$D/node2.conf" --token-file "$TMP/vb.tok" request approve \
	--id "$(jget "$TMP/seal.json" request.id)" >/dev/null
eq "node 1 sees the approval made through node 2" done \
	"$($VA --json request show --id "$(jget "$TMP/seal.json" request.id)" >"$TMP/req.json" && jget "$TMP/req.json" state)"
$CTL --json client add --name sealer --role client --key "$SEAL" >"$TMP/sealer.json"
jget "$TMP/sealer.json" token >"$TMP/sealer.tok"
SH=(-H "Authorization: Bearer $(cat "$TMP/sealer.tok")")
for _ in $(seq 100); do # the approval's email first
	ls "$D"/mail/new/* 2>/dev/null | xargs -r grep -l "^To: officer@agency.go.id" >"$TMP/before"
	[ -s "$TMP/before" ] && break
	sleep 0.1
done
$CTL2 --token-file "$TMP/sealer.tok" seal activate --id "$SEAL" >/dev/null
# The activation code: in the first email to the officer after the
# activation was asked for (another node's mail worker may deliver it).
for _ in $(seq 150); do
	AC=$(grep -l "^To: officer@agency.go.id" "$D"/mail/new/* 2>/dev/null | grep -v -x -F -f "$TMP/before" | \
		xargs -r grep -h -i -o 'ode[ a-z]*: *[A-Z0-9]\{5\}-[A-Z0-9]\{5\}' | head -1 | \
		grep -o '[A-Z0-9]\{5\}-[A-Z0-9]\{5\}')
	[ -n "$AC" ] && break
	sleep 0.1
done
SC=$($CTL --token-file "$TMP/sealer.tok" seal code --id "$SEAL" --activation-code "$AC" --documents 5)
check "a seal code for 5 documents" test ${#SC} -eq 32
# 16 requests at once, 8 through each node.
for i in $(seq 16); do
	u=$URL
	[ $((i % 2)) = 0 ] && u=$URL2
	echo "$u"
done | xargs -P 16 -I{} curl -s -o /dev/null -w '%{http_code}\n' --cacert "$D/ca.pem" \
	"${SH[@]}" -F "file=@$CORPUS/xref-table.pdf" -F "key=$SEAL" -F "seal_code=$SC" "{}/v1/seal" >"$TMP/par"
eq "16 concurrent seals through both nodes with a 5-document code: exactly 5 succeed" 5 \
	"$(grep -c '^200$' "$TMP/par")"
eq "... and 11 are refused with 401" 11 "$(grep -c '^401$' "$TMP/par")"

# The lockout across nodes (docs/cluster.md "What is per node"): every
# wrong passphrase checked is counted, the lock holds on both nodes, and
# a burst through two nodes checks at most 2 x the limit (5).
check "an individual registers through node 1" $VA --json user register --name "Siti Rahma" \
	--nik 3171000000000002 --email siti@agency.go.id --unit Keuangan
cp "$TMP/check.out" "$TMP/ind.json"
IND=$(jget "$TMP/ind.json" subscriber.id)
$CTL2 --token-file "$TMP/vb.tok" request approve --id "$(jget "$TMP/ind.json" request.id)" >/dev/null
for _ in $(seq 150); do
	CODE=$(grep -l "^To: siti@agency.go.id" "$D"/mail/new/* 2>/dev/null | \
		xargs -r grep -h -i -o 'ode[ a-z]*: *[A-Z0-9]\{5\}-[A-Z0-9]\{5\}' | head -1 | \
		grep -o '[A-Z0-9]\{5\}-[A-Z0-9]\{5\}')
	[ -n "$CODE" ] && break
	sleep 0.1
done
printf 'kopi susu gula aren 2026\n' >"$TMP/p1"
check "the individual activates with the emailed code ($CODE)" \
	$CTL user activate --subscriber "$IND" --code "$CODE" --passphrase-file "$TMP/p1"
$CTL --json client add --name app --role client >"$TMP/app.json"
APPH="Authorization: Bearer $(jget "$TMP/app.json" token)"
DG=$(printf 'a letter' | sha256sum | cut -d' ' -f1)
eq "the right passphrase signs through node 2" 200 "$(curl -s -o /dev/null -w '%{http_code}' \
	--cacert "$D/ca.pem" -H "$APPH" -d "{\"digest\":\"$DG\",\"key\":\"$IND\",\"passphrase\":\"$(cat "$TMP/p1")\"}" \
	"$URL2/v1/sign/hash")"
for i in $(seq 30); do
	u=$URL
	[ $((i % 2)) = 0 ] && u=$URL2
	echo "$u $i"
done | xargs -P 30 -L 1 sh -c 'curl -s -o /dev/null -w "%{http_code}\n" --max-time 60 --cacert "$0" \
	-H "$1" -d "{\"digest\":\"$2\",\"key\":\"$3\",\"passphrase\":\"wrong guess $5\"}" "$4/v1/sign/hash"' \
	"$D/ca.pem" "$APPH" "$DG" "$IND" >"$TMP/burst"
CHECKED=$(grep -c '^401$' "$TMP/burst")
eq "30 wrong passphrases through both nodes: all refused" 30 "$(grep -c '^40[13]$' "$TMP/burst")"
eq "exactly 5 were checked (401), the other 25 found the lock (403)" "5 25" "$CHECKED $(grep -c '^403$' "$TMP/burst")"
eq "each check is counted in the audit log" "$CHECKED" "$($CTL audit export | grep -c '"action":"auth.passphrase"')"
for u in "$URL" "$URL2"; do
	eq "the right passphrase is refused on $u: 403 locked" "403 locked" \
		"$(https_code_at "$u" /v1/sign/hash -H "$APPH" \
		-d "{\"digest\":\"$DG\",\"key\":\"$IND\",\"passphrase\":\"$(cat "$TMP/p1")\"}") $(json_err)"
done

# kill -9 of node 1 while it seals: nothing it acknowledged is lost.
: >"$TMP/acked"
(
	i=0
	while [ ! -e "$TMP/stop" ]; do
		i=$((i + 1))
		dg=$(printf '%064x' "$((RANDOM * 32768 + RANDOM))$i")
		code=$(curl -s -o /dev/null -w '%{http_code}' -m 10 --cacert "$D/ca.pem" \
			-H "Authorization: Bearer $TOKEN" -d "{\"digest\":\"$dg\"}" \
			"$URL/v1/seal/hash" 2>/dev/null)
		[ "$code" = 200 ] && echo "$dg" >>"$TMP/acked"
	done
) &
LOAD=$!
sleep 3
for p in $(esd_descendants "$MASTER") "$MASTER"; do kill -9 "$p" 2>/dev/null; done
{ wait "$MASTER"; } 2>/dev/null
MASTER=
touch "$TMP/stop"
wait "$LOAD"
$CTL2 audit export >"$TMP/audit.jsonl"
missing=0
while read -r dg; do
	grep -q "\"document_sha256\":\"$dg\"" "$TMP/audit.jsonl" || missing=$((missing + 1))
done <"$TMP/acked"
check "node 1 acknowledged seals before the kill" test -s "$TMP/acked"
eq "every seal node 1 acknowledged ($(wc -l <"$TMP/acked")) is in the audit log node 2 reads" 0 "$missing"
check "the audit chain verifies through node 2" $CTL2 audit verify
eq "node 2 still seals" 200 "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$D/ca.pem" \
	-H "Authorization: Bearer $TOKEN" -d "{\"digest\":\"$(printf y | sha256sum | cut -d' ' -f1)\"}" \
	"$URL2/v1/seal/hash")"
kill -TERM "$NODE2"
wait "$NODE2" 2>/dev/null
cat "$TMP/daemon2.log" >>"$TMP/daemon.log"
finish
