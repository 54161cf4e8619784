#!/usr/bin/env bash
# esignd as a cluster (docs/cluster.md): a throw-away PostgreSQL server
# from the postgresql package's binaries (run as nobody when the test
# runs as root: postgres refuses root), one SoftHSM2 token exported by
# `p11-kit server` and reached by every node through p11-kit-client.so
# (as a network HSM's PKCS#11 library), an instance moved onto the
# database with `esignctl store copy`, the schema check at startup, then
# three nodes: each sees the others' registrations, a key rotated
# through one is used by all, a seal code for N documents used through
# all at once seals exactly N, a lockout counts every node's attempts,
# the outbox delivers each email once, and under a load of seals, an
# individual's signatures and registrations spread over the nodes
# PostgreSQL is restarted (the nodes answer 503 store_unavailable with
# Retry-After while it is down and recover by themselves), a whole node
# and a keeper are killed with -9: every acknowledged seal, signature and
# registration is stored with its record in the one audit chain, which
# verifies, and no client saw a wrong answer. A node started while the
# database is down serves once it is back.
# ESD_CLUSTER_ROUNDS=N repeats the restart and kills N times (default 1).
# Skipped (exit 77) when the postgresql server binaries or p11-kit's
# server and client module are missing.
. "$(dirname "$0")/lib.sh"
ESD_STORE=lmdb # the test moves the instance to its own PostgreSQL server
P11CLIENT=$(ls /usr/lib/*/pkcs11/p11-kit-client.so /usr/lib/pkcs11/p11-kit-client.so 2>/dev/null | head -1)
if ! command -v p11-kit >/dev/null || [ -z "$P11CLIENT" ]; then
	echo "1..0 # SKIP p11-kit (its server) and p11-kit-modules (p11-kit-client.so) are not installed"
	exit 77
fi
ROUNDS=${ESD_CLUSTER_ROUNDS:-1}
pg_start
FRESH="postgresql://esignd@127.0.0.1:$PGPORT/fresh"

esd_init
printf 'argon2_memlimit_kib = 32768\n' >>"$D/esignd.conf"

# The token, exported as a network HSM would be: every node loads
# p11-kit-client.so, never SoftHSM2 itself.
mkdir -m 700 "$TMP/p11"
p11-kit server -f --provider "$P11MOD" -n "$TMP/p11/token.sock" "pkcs11:token=esignd" \
	>"$TMP/p11.log" 2>&1 &
P11SRV=$!
on_exit "kill $P11SRV"
for _ in $(seq 100); do [ -S "$TMP/p11/token.sock" ] && break; sleep 0.05; done
[ -S "$TMP/p11/token.sock" ] || { cat "$TMP/p11.log"; echo "Bail out! p11-kit server did not start"; exit 1; }
export P11_KIT_SERVER_ADDRESS="unix:path=$TMP/p11/token.sock"
sed -i "s|^pkcs11_module = .*|pkcs11_module = $P11CLIENT|" "$D/esignd.conf"
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

# esignctl init straight into PostgreSQL: a cluster's first node.
sql postgres -c "CREATE DATABASE first" >/dev/null
FIRST="postgresql://esignd@127.0.0.1:$PGPORT/first"
FPORT=$(free_port)
check "esignctl init --store postgresql://… makes an instance in an empty database" \
	$ESIGNCTL init --dir "$TMP/first" --https-port "$FPORT" --http-port "$(free_port)" --store "$FIRST"
check "... its configuration names the database" grep -q "^store = $FIRST\$" "$TMP/first/esignd.conf"
check "... its keys and audit chain are in PostgreSQL" test "$(sql first -c 'SELECT count(*) FROM esd_kv WHERE db = 4')" -gt 0
check "... and no LMDB environment was made" test ! -e "$TMP/first/state/data.mdb"
"$ESIGND" -c "$TMP/first/esignd.conf" -f >"$TMP/first.log" 2>&1 &
FPID=$!
for _ in $(seq 100); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$TMP/first/ca.pem" "https://127.0.0.1:$FPORT/v1/health")" = 200 ] && break
	sleep 0.1
done
eq "... it serves: a seal through it, 200" 200 "$(curl -s -o /dev/null -w '%{http_code}' \
	--cacert "$TMP/first/ca.pem" -H "Authorization: Bearer $(cat "$TMP/first/admin.token")" \
	-d "{\"digest\":\"$(printf first | sha256sum | cut -d' ' -f1)\"}" "https://127.0.0.1:$FPORT/v1/seal/hash")"
check "... its audit chain verifies" $ESIGNCTL -c "$TMP/first/esignd.conf" audit verify
kill -TERM "$FPID"
wait "$FPID" 2>/dev/null
cat "$TMP/first.log" >>"$TMP/daemon.log"
eq "a second init into that database is refused (exit 4) and leaves nothing" "4 no yes" \
	"$($ESIGNCTL init --dir "$TMP/second" --store "$FIRST" >"$TMP/second.out" 2>&1; echo $?) \
$([ -e "$TMP/second" ] && echo yes || echo no) $(grep -q 'already holds an instance' "$TMP/second.out" && echo yes)"
eq "init --store refuses a location that is not PostgreSQL: exit 2" 2 \
	"$($ESIGNCTL init --dir "$TMP/third" --store "lmdb:$TMP/x" >/dev/null 2>&1; echo $?)"

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

# A write the database refuses only at its commit (the audit record is
# sent without waiting for its answer) fails the whole transaction: with
# the chain's head set back one record, the next record's number is
# taken, the seal is refused and neither a record nor the head changed.
pg_audit() { sql esignd -c "SELECT md5(string_agg(db || ':' || encode(key, 'hex') || ':' ||
	encode(value, 'hex'), ',' ORDER BY db, key)) FROM esd_kv WHERE db = 4 OR (db = 0 AND key = 'audit_head'::bytea)"; }
HEAD0=$(sql esignd -c "SELECT encode(value, 'hex') FROM esd_kv WHERE db = 0 AND key = 'audit_head'::bytea")
sql esignd -c "UPDATE esd_kv SET value = int8send(n - 1) || substring((SELECT value FROM esd_kv
	WHERE db = 4 AND key = int8send(n - 1)) FROM 1 FOR 32) FROM (SELECT ('x' || substr('$HEAD0', 1, 16))::bit(64)::bigint AS n) h
	WHERE db = 0 AND key = 'audit_head'::bytea"
S0=$(pg_audit)
eq "with the audit head set back, a seal is refused: 500" 500 "$(curl -s -o "$TMP/dup.json" -w '%{http_code}' \
	--cacert "$D/ca.pem" -H "Authorization: Bearer $TOKEN" \
	-F "file=@$CORPUS/xref-table.pdf;type=application/pdf" "$URL/v1/seal")"
eq "... and wrote no audit record and no head" "$S0" "$(pg_audit)"
sql esignd -c "UPDATE esd_kv SET value = decode('$HEAD0', 'hex') WHERE db = 0 AND key = 'audit_head'::bytea"
eq "with the head put back, the next seal: 200" 200 "$(curl -s -o /dev/null -w '%{http_code}' \
	--cacert "$D/ca.pem" -H "Authorization: Bearer $TOKEN" \
	-F "file=@$CORPUS/xref-table.pdf;type=application/pdf" "$URL/v1/seal")"
check "... and the chain verifies" $CTL audit verify

eq "esignctl backup points at pg_dump for a PostgreSQL store: exit 2" "2 yes" \
	"$($CTL backup --out "$TMP/b.mdb" >"$TMP/b.out" 2>&1; echo $?) $(grep -q pg_dump "$TMP/b.out" && echo yes)"
check "store copy back into a new LMDB environment while the node runs" \
	$ESIGNCTL store copy --from "$PGURI" --to "lmdb:$TMP/back"
eq "... holds every record of its snapshot" \
	"$(sed -n 's/^copied \([0-9]*\) records.*/\1/p' "$TMP/check.out")" \
	"$(mdb_dump -a "$TMP/back" | grep -c '^ ' | awk '{print $1 / 2}')"

# Node 3 has a TLS identity of its own (its own key, a certificate
# from another CA, as an agency's web PKI would issue): clients trust
# both CAs.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj "/CN=Cluster Test Node CA" -keyout "$TMP/nodeca.key" -out "$TMP/nodeca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=node3" \
	-keyout "$D/tls/node3.key" -out "$TMP/node3.csr" 2>/dev/null
openssl x509 -req -in "$TMP/node3.csr" -CA "$TMP/nodeca.pem" -CAkey "$TMP/nodeca.key" \
	-CAcreateserial -days 2 -extfile <(printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n') \
	-out "$D/tls/node3.crt" 2>/dev/null
chmod 600 "$D/tls/node3.key"
CAS="$TMP/cas.pem"
cat "$D/ca.pem" "$TMP/nodeca.pem" >"$CAS"
keeper_of() { # the node's keeper: the child that loaded the PKCS#11 module
	local p
	for p in $(pgrep -P "$1"); do
		grep -q p11-kit-client "/proc/$p/maps" 2>/dev/null && { echo "$p"; return; }
	done
}
KP=$(keeper_of "$MASTER")
check "node 1's keeper reaches the token through p11-kit-client.so" test -n "$KP"
check "... and has not loaded SoftHSM2 itself" bash -c "! grep -q libsofthsm2 /proc/$KP/maps"

# Nodes 2 and 3: their own listeners and socket, the same database and
# token (docs/cluster.md "Adding a node").
declare -A NODE NURL
NURL[1]=$URL
NODE[1]=
start_node() { # start_node N: starts node N (2, 3) from its node N.conf, made once
	local n=$1 p h
	if [ ! -e "$D/node$n.conf" ]; then
		p=$(free_port)
		h=$(free_port)
		sed -e "s|^https_listen = .*|https_listen = 127.0.0.1:$p|" \
			-e "s|^public_listen = .*|public_listen = 127.0.0.1:$h|" \
			-e "s|^unix_socket = .*|unix_socket = node$n.sock|" "$D/esignd.conf" >"$D/node$n.conf"
		[ "$n" = 3 ] && sed -i -e "s|^tls_cert = .*|tls_cert = tls/node3.crt|" \
			-e "s|^tls_key = .*|tls_key = tls/node3.key|" "$D/node3.conf"
		NURL[$n]="https://127.0.0.1:$p"
	fi
	"$ESIGND" -c "$D/node$n.conf" -f >>"$TMP/daemon$n.log" 2>&1 &
	NODE[$n]=$!
	on_exit "kill -TERM ${NODE[$n]} 2>/dev/null"
	node_healthy "$n" 30
}
node_healthy() { # node_healthy N SECONDS: until node N's /v1/health is 200
	local deadline=$((SECONDS + $2)) u=${NURL[$1]}
	while [ $SECONDS -lt $deadline ]; do
		[ "$(curl -s -o /dev/null -w '%{http_code}' -m 5 --cacert "$CAS" "$u/v1/health")" = 200 ] && return 0
		sleep 0.1
	done
	return 1
}
master_of() { if [ "$1" = 1 ]; then echo "$MASTER"; else echo "${NODE[$1]}"; fi; }
kill_node() { # kill -9 of node N's master and children
	local m p
	m=$(master_of "$1")
	for p in $(esd_descendants "$m") "$m"; do kill -9 "$p" 2>/dev/null; done
	wait "$m" 2>/dev/null
}
restart_node() {
	if [ "$1" = 1 ]; then
		esd_start
	else
		start_node "$1"
	fi
}
for n in 2 3; do
	start_node $n || { cat "$TMP/daemon$n.log"; echo "Bail out! node $n did not start"; exit 1; }
	ok "node $n serves"
done
URL3=${NURL[3]}
check "node 3 answers with its own TLS certificate (not node 1's)" bash -c \
	"openssl s_client -connect ${URL3#https://} </dev/null 2>/dev/null | openssl x509 -noout -subject | grep -q 'CN *= *node3'"
CTL2="$ESIGNCTL -c $D/node2.conf"
CTL3="$ESIGNCTL -c $D/node3.conf"
https_code_at() { # https_code_at BASE PATH [curl args...]
	local base=$1 path=$2
	shift 2
	curl -s -o "$TMP/body" -w '%{http_code}' --cacert "$CAS" "$@" "$base$path"
}
spread() { # spread COUNT: COUNT lines, the nodes' URLs in turn, with the line's number
	local i
	for i in $(seq "$1"); do echo "${NURL[$(((i - 1) % 3 + 1))]} $i"; done
}

# A key rotated through node 2 (a new key made in the token through
# p11-kit): nodes 1 and 3 seal with it at once.
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
check "esignctl keys rotate demo-seal through node 2 (a new token key)" $CTL2 keys rotate --label demo-seal
for n in 1 3; do
	eq "node $n seals after the rotation: 200" 200 "$(curl -s -o "$TMP/rotated$n.pdf" -w '%{http_code}' \
		--cacert "$CAS" -H "Authorization: Bearer $TOKEN" \
		-F "file=@$CORPUS/xref-table.pdf;type=application/pdf" "${NURL[$n]}/v1/seal")"
	NEW=$(signer_serial "$TMP/rotated$n.pdf")
	check "... with the new key's certificate ($OLD -> $NEW)" test -n "$NEW" -a -n "$OLD" -a "$NEW" != "$OLD"
	check "pdfsig: that seal is valid" bash -c "pdfsig '$TMP/rotated$n.pdf' | grep -q 'Signature is Valid'"
done
check "pkcs11-tool through p11-kit-client.so lists the new key's certificate" bash -c \
	"pkcs11-tool --module '$P11CLIENT' --list-objects --type cert 2>/dev/null | grep -q 'demo-seal.2'"

esd_verifiers
$VA --json seal register --name "Sistem Naskah Dinas" --org "Kementerian Contoh" \
	--email officer@agency.go.id --letter "$CORPUS/xref-table.pdf" >"$TMP/seal.json"
SEAL=$(jget "$TMP/seal.json" subscriber.id)
for n in 2 3; do
	eq "node $n sees the seal registered through node 1" 200 \
		"$(https_code_at "${NURL[$n]}" "/v1/ra/subscribers/$SEAL" -H "Authorization: Bearer $(cat "$TMP/vb.tok")")"
done
$ESIGNCTL -c "$D/node2.conf" --token-file "$TMP/vb.tok" request approve \
	--id "$(jget "$TMP/seal.json" request.id)" >/dev/null
eq "node 1 sees the approval made through node 2" "done" \
	"$($VA --json request show --id "$(jget "$TMP/seal.json" request.id)" >"$TMP/req.json" && jget "$TMP/req.json" state)"
$CTL --json client add --name sealer --role client --key "$SEAL" >"$TMP/sealer.json"
jget "$TMP/sealer.json" token >"$TMP/sealer.tok"
SH=(-H "Authorization: Bearer $(cat "$TMP/sealer.tok")")
for _ in $(seq 100); do # the approval's email first
	ls "$D"/mail/new/* 2>/dev/null | xargs -r grep -l "^To: officer@agency.go.id" >"$TMP/before"
	[ -s "$TMP/before" ] && break
	sleep 0.1
done
$CTL3 --token-file "$TMP/sealer.tok" seal activate --id "$SEAL" >/dev/null
# The activation code: in the first email to the officer after the
# activation was asked for (any node's mail worker may deliver it).
for _ in $(seq 150); do
	AC=$(grep -l "^To: officer@agency.go.id" "$D"/mail/new/* 2>/dev/null | grep -v -x -F -f "$TMP/before" | \
		xargs -r grep -h -i -o 'ode[ a-z]*: *[A-Z0-9]\{5\}-[A-Z0-9]\{5\}' | head -1 | \
		grep -o '[A-Z0-9]\{5\}-[A-Z0-9]\{5\}')
	[ -n "$AC" ] && break
	sleep 0.1
done
SC=$($CTL --token-file "$TMP/sealer.tok" seal code --id "$SEAL" --activation-code "$AC" --documents 5)
check "a seal code for 5 documents" test ${#SC} -eq 32
# 18 requests at once, 6 through each node.
spread 18 | xargs -P 18 -L 1 sh -c 'curl -s -o /dev/null -w "%{http_code}\n" --cacert "$0" \
	-H "$1" -F "file=@$2" -F "key=$3" -F "seal_code=$4" "$5/v1/seal"' \
	"$CAS" "${SH[1]}" "$CORPUS/xref-table.pdf" "$SEAL" "$SC" >"$TMP/par"
eq "18 concurrent seals through three nodes with a 5-document code: exactly 5 succeed" 5 \
	"$(grep -c '^200$' "$TMP/par")"
eq "... and 13 are refused with 401" 13 "$(grep -c '^401$' "$TMP/par")"

# The outbox across nodes: 24 activation emails asked for at once
# through the three nodes; every node's worker is woken and walks the
# one outbox, and each email is delivered exactly once.
before=$(ls "$D"/mail/new | wc -l)
spread 24 | xargs -P 24 -L 1 sh -c 'curl -s -o /dev/null -w "%{http_code}\n" --cacert "$0" \
	-H "$1" -H "Content-Type: application/json" -d "{}" "$3/v1/ra/seals/$2/activation"' "$CAS" "${SH[1]}" "$SEAL" >"$TMP/act"
eq "24 concurrent seal activations through three nodes: all 200" 24 "$(grep -c '^200$' "$TMP/act")"
for _ in $(seq 200); do
	[ "$(ls "$D"/mail/new | wc -l)" -ge $((before + 24)) ] && break
	sleep 0.1
done
sleep 2 # every woken worker has walked the outbox: a duplicate would be here
eq "... exactly 24 emails delivered" 24 "$(($(ls "$D"/mail/new | wc -l) - before))"
eq "... no Message-ID twice in the maildir" "" \
	"$(cat "$D"/mail/new/* | grep -i '^Message-ID:' | sort | uniq -d)"

# The lockout across nodes (docs/cluster.md "What is exact across
# nodes"): 30 wrong passphrases through three nodes at once, limit 5.
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
eq "the right passphrase signs through node 3" 200 "$(curl -s -o /dev/null -w '%{http_code}' \
	--cacert "$CAS" -H "$APPH" -d "{\"digest\":\"$DG\",\"key\":\"$IND\",\"passphrase\":\"$(cat "$TMP/p1")\"}" \
	"$URL3/v1/sign/hash")"
spread 30 | xargs -P 30 -L 1 sh -c 'curl -s -o /dev/null -w "%{http_code}\n" --max-time 60 --cacert "$0" \
	-H "$1" -d "{\"digest\":\"$2\",\"key\":\"$3\",\"passphrase\":\"wrong guess $5\"}" "$4/v1/sign/hash"' \
	"$CAS" "$APPH" "$DG" "$IND" >"$TMP/burst"
CHECKED=$(grep -c '^401$' "$TMP/burst")
eq "30 wrong passphrases through three nodes: all refused" 30 "$(grep -c '^40[13]$' "$TMP/burst")"
eq "exactly 5 were checked (401), the other 25 found the lock (403)" "5 25" "$CHECKED $(grep -c '^403$' "$TMP/burst")"
eq "each check is counted in the audit log" "$CHECKED" "$($CTL audit export | grep -c '"action":"auth.passphrase"')"
for n in 1 2 3; do
	eq "the right passphrase is refused on node $n: 403 locked" "403 locked" \
		"$(https_code_at "${NURL[$n]}" /v1/sign/hash -H "$APPH" \
		-d "{\"digest\":\"$DG\",\"key\":\"$IND\",\"passphrase\":\"$(cat "$TMP/p1")\"}") $(json_err)"
done

# Chaos under load: clients seal digests, an individual signs digests with
# her passphrase, a verifier registers people; each goes through the
# nodes in turn and, on anything but success, tries the next node (as
# behind a load balancer). Every answer is logged; a success is
# acknowledged: a digest signed or a registration's request id.
check "a verifier unlocks the individual for the load" $VB subscriber unlock --id "$IND"
P1=$(cat "$TMP/p1")
: >"$TMP/acked"
: >"$TMP/acked.sign"
: >"$TMP/ra_acked"
: >"$TMP/ra_retried"
: >"$TMP/answers"
load() { # load ID KIND: one client; KIND seal, sign or ra
	local i=0 n dg code err auth path body ok b="$TMP/load$1"
	while [ ! -e "$TMP/stop" ]; do
		i=$((i + 1))
		dg=$(printf '%s %s %s' "$1" "$i" "$RANDOM$RANDOM" | sha256sum | cut -d' ' -f1)
		case $2 in
		seal) auth="Authorization: Bearer $TOKEN" path=/v1/seal/hash body="{\"digest\":\"$dg\"}" ok=200 ;;
		sign) auth=$APPH path=/v1/sign/hash ok=200
			body="{\"digest\":\"$dg\",\"key\":\"$IND\",\"passphrase\":\"$P1\"}" ;;
		ra) auth="Authorization: Bearer $(cat "$TMP/va.tok")" path=/v1/ra/individuals ok=201
			dg=$(printf '3173%012d' $(($1 * 1000000 + i)))
			body="{\"name\":\"Peserta $1-$i\",\"nik\":\"$dg\",\"email\":\"p$1-$i@agency.go.id\",\"unit\":\"TU\"}" ;;
		esac
		for try in 1 2 3 4 5 6; do
			n=$(((i + try + $1) % 3 + 1))
			rm -f "$b.body" "$b.hdr"
			code=$(curl -s -o "$b.body" -D "$b.hdr" -w '%{http_code}' -m 15 \
				--cacert "$CAS" -H "$auth" -d "$body" "${NURL[$n]}$path" 2>/dev/null)
			err=$(sed -n 's/.*"code":"\([a-z_]*\)".*/\1/p' "$b.body" 2>/dev/null)
			# a registration retried after an answer that never came
			# may find its first attempt committed: 409, and it stands
			if [ "$2" = ra ] && [ "$code" = 409 ] && [ "$try" -gt 1 ]; then
				echo "retried-409 - 0" >>"$TMP/answers"
				echo "$dg" >>"$TMP/ra_retried"
				break
			fi
			echo "$([ "$code" = "$ok" ] && echo ok || echo "$code") ${err:--} $(grep -ci '^retry-after:' "$b.hdr" 2>/dev/null)" >>"$TMP/answers"
			if [ "$code" = "$ok" ]; then
				case $2 in
				ra) jget "$b.body" request.id >>"$TMP/ra_acked" ;;
				sign) echo "$dg" | tee -a "$TMP/acked.sign" >>"$TMP/acked" ;;
				*) echo "$dg" >>"$TMP/acked" ;;
				esac
				break
			fi
			sleep 0.2
		done
	done
}
LOADS=
for c in 1:seal 2:seal 3:seal 4:sign 5:ra; do
	load "${c%%:*}" "${c#*:}" &
	LOADS="$LOADS $!"
done
KILLS=0
RESTARTS=0
for round in $(seq "$ROUNDS"); do
	sleep 2
	# PostgreSQL goes away.
	as_pg "$PGBIN/pg_ctl" -D "$TMP/pg/data" -m fast stop >/dev/null
	RESTARTS=$((RESTARTS + 1))
	for n in 1 2 3; do
		t0=$SECONDS
		code=$(curl -s -o "$TMP/body" -D "$TMP/hdr" -w '%{http_code}' -m 20 --cacert "$CAS" \
			-H "Authorization: Bearer $TOKEN" -d "{\"digest\":\"$DG\"}" "${NURL[$n]}/v1/seal/hash")
		eq "round $round, database down: node $n answers a seal 503 store_unavailable with Retry-After in under 10 s" \
			"503 store_unavailable 1 yes" \
			"$code $(json_err) $(grep -ci '^retry-after:' "$TMP/hdr") $([ $((SECONDS - t0)) -lt 10 ] && echo yes)"
		code=$(https_code_at "${NURL[$n]}" /v1/health -m 20)
		eq "... /v1/health: 503, the store postgresql store_unavailable, the token ok" \
			"503 False postgresql store_unavailable True" \
			"$code $(jget "$TMP/body" checks.store.ok) $(jget "$TMP/body" checks.store.backend) $(jget "$TMP/body" checks.store.error) $(jget "$TMP/body" checks.token.ok)"
	done
	sleep 1
	pg_up || { cat "$TMP/pg/server.log"; echo "Bail out! PostgreSQL did not start again"; exit 1; }
	for n in 1 2 3; do
		check "round $round, database back: node $n is healthy again within 20 s, unrestarted" node_healthy "$n" 20
	done
	sleep 2
	# kill -9 of a whole node (nodes 1, 2, 3 in turn), started again.
	victim=$(((round - 1) % 3 + 1))
	kill_node "$victim"
	KILLS=$((KILLS + 1))
	sleep 2
	restart_node "$victim" >/dev/null
	check "round $round: node $victim, killed with -9, serves again" node_healthy "$victim" 30
	# kill -9 of another node's keeper only: its master starts a new one.
	other=$((victim % 3 + 1))
	kp=$(keeper_of "$(master_of "$other")")
	kill -9 "$kp" 2>/dev/null && KILLS=$((KILLS + 1))
	sleep 1
	check "round $round: node $other, its keeper killed with -9, serves again" node_healthy "$other" 30
done
sleep 2
touch "$TMP/stop"
# shellcheck disable=SC2086
wait $LOADS

# A node started while the database is down: its keeper cannot open the
# store and is started again by its master until the database is back.
as_pg "$PGBIN/pg_ctl" -D "$TMP/pg/data" -m fast stop >/dev/null
kill_node 2
sleep 1
"$ESIGND" -c "$D/node2.conf" -f >>"$TMP/daemon2.log" 2>&1 &
NODE[2]=$!
on_exit "kill -TERM ${NODE[2]} 2>/dev/null"
sleep 4
check "node 2 started while the database is down: not healthy" bash -c \
	"[ \"\$(curl -s -o /dev/null -w '%{http_code}' -m 5 --cacert '$CAS' '${NURL[2]}/v1/health')\" != 200 ]"
check "... its keeper says the database is out of reach, and tries again" \
	test "$(grep -c 'database is out of reach; trying again' "$TMP/daemon2.log")" -ge 2
check "... its master is still running" kill -0 "${NODE[2]}"
pg_up || { cat "$TMP/pg/server.log"; echo "Bail out! PostgreSQL did not start again"; exit 1; }
check "... and serves within 20 s of the database's return, with no one restarting it" node_healthy 2 20

$CTL2 audit export >"$TMP/audit.jsonl"
missing=0
while read -r dg; do
	grep -q "\"document_sha256\":\"$dg\"" "$TMP/audit.jsonl" || missing=$((missing + 1))
done <"$TMP/acked"
ACKED=$(wc -l <"$TMP/acked")
check "the load's seals and signatures were acknowledged ($ACKED)" test "$ACKED" -gt 0
check "... the individual's among them" grep -q . "$TMP/acked.sign"
eq "every acknowledged seal and signature ($ACKED) is in the audit log" 0 "$missing"
RA_ACKED=$(wc -l <"$TMP/ra_acked")
check "the load's registrations were acknowledged ($RA_ACKED)" test "$RA_ACKED" -gt 0
missing=0
while read -r rq; do
	grep -q "\"$rq\"" "$TMP/audit.jsonl" &&
		[ "$(https_code_at "$URL3" "/v1/ra/requests/$rq" -H "Authorization: Bearer $(cat "$TMP/vb.tok")")" = 200 ] ||
		missing=$((missing + 1))
done <"$TMP/ra_acked"
eq "every acknowledged registration ($RA_ACKED) is stored, with its audit record" 0 "$missing"
twice=0
while read -r nik; do
	https_code_at "${NURL[2]}" "/v1/ra/subscribers?q=$nik" -H "Authorization: Bearer $(cat "$TMP/vb.tok")" >/dev/null
	[ "$(python3 -c 'import json, sys; print(len(json.load(sys.stdin)["subscribers"]))' <"$TMP/body")" = 1 ] ||
		twice=$((twice + 1))
done <"$TMP/ra_retried"
eq "a registration retried after a lost answer ($(wc -l <"$TMP/ra_retried")) is stored once" 0 "$twice"
eq "no client saw a wrong answer: only success, 503 (store_unavailable, unavailable or token_unavailable, with Retry-After), no connection, or a retried registration's 409" "" \
	"$(grep -v -E '^(ok - 0|retried-409 - 0|503 (store_unavailable|unavailable|token_unavailable) 1|000 - [01])$' "$TMP/answers" | sort | uniq -c)"
check "the audit chain verifies through node 3" $CTL3 audit verify
for n in 1 2 3; do
	eq "node $n still seals" 200 "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CAS" \
		-H "Authorization: Bearer $TOKEN" -d "{\"digest\":\"$(printf "y$n" | sha256sum | cut -d' ' -f1)\"}" \
		"${NURL[$n]}/v1/seal/hash")"
done
echo "# survived: $RESTARTS PostgreSQL restart(s), $KILLS kill -9 (nodes and keepers); $(wc -l <"$TMP/answers") answers checked; $ACKED seals and signatures and $RA_ACKED registrations acknowledged and found"
for n in 2 3; do
	kill -TERM "${NODE[$n]}" 2>/dev/null
	wait "${NODE[$n]}" 2>/dev/null
	cat "$TMP/daemon$n.log" >>"$TMP/daemon.log"
done
finish
