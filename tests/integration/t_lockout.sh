#!/usr/bin/env bash
# Exact lockouts under concurrency: 60 wrong secrets sent at once, on
# every path that checks a guessable secret (an individual's passphrase
# on /v1/sign/hash, a seal's authenticator code and emailed activation
# code on /v1/ra/seals/ID/codes, a staff login). Exactly
# auth_max_failures (5) are checked (401), the other 55 find the lock
# (403 locked; a staff login answers 401 throughout and the audit log
# counts the checks), and the right secret afterwards is refused too. Each
# burst runs on loopback with a time bound.
. "$(dirname "$0")/lib.sh"
esd_init
printf 'argon2_memlimit_kib = 32768\n' >>"$D/esignd.conf"
esd_start
CTL="$ESIGNCTL -c $D/esignd.conf"
PDF="$CORPUS/xref-table.pdf"
N=60
esd_verifiers
$CTL --json client add --name app --role client >"$TMP/app.json"
jget "$TMP/app.json" token >"$TMP/app.tok"
APPT=$(cat "$TMP/app.tok")
# mail_wait ADDR PATTERN N: the code after PATTERN in the N-th email to ADDR.
mail_wait() {
	for _ in $(seq 100); do
		local c
		c=$(grep -l "^To: $1" "$D"/mail/new/* 2>/dev/null | xargs -r ls -tr | \
			xargs -r grep -h -i -o "$2: *[A-Z0-9]\{5\}-[A-Z0-9]\{5\}" | \
			sed -n "${3}p" | grep -o '[A-Z0-9]\{5\}-[A-Z0-9]\{5\}')
		[ -n "$c" ] && { echo "$c"; return; }
		sleep 0.1
	done
}
# burst NAME URL AUTH BODY-TEMPLATE: N requests at once (BODY-TEMPLATE's
# @I@ is the request's number), each status line into $TMP/NAME.
burst() {
	local name=$1 url=$2 auth=$3 tpl=$4
	seq "$N" | xargs -P "$N" -I@I@ curl -s -o /dev/null -w '%{http_code}\n' \
		--max-time 120 --cacert "$D/ca.pem" -H "$auth" -d "$tpl" "$URL$url" >"$TMP/$name"
}
counts() { echo "$(grep -c '^401$' "$TMP/$1") $(grep -c '^403$' "$TMP/$1") $(wc -l <"$TMP/$1")"; }

# An individual's passphrase on the hash route.
$VA --json user register --name "Siti Rahma" --nik 3171000000000002 \
	--email siti@agency.go.id --unit Keuangan >"$TMP/ind.json"
IND=$(jget "$TMP/ind.json" subscriber.id)
$VB request approve --id "$(jget "$TMP/ind.json" request.id)" >/dev/null
printf 'kopi susu gula aren 2026\n' >"$TMP/p1"
$CTL user activate --subscriber "$IND" --code "$(mail_wait siti@agency.go.id 'ode[ a-z]*' 1)" \
	--passphrase-file "$TMP/p1" >/dev/null
DG=$(printf 'a letter' | sha256sum | cut -d' ' -f1)
eq "the right passphrase signs a digest" 200 "$(https_code /v1/sign/hash -H "Authorization: Bearer $APPT" \
	-d "{\"digest\":\"$DG\",\"key\":\"$IND\",\"passphrase\":\"$(cat "$TMP/p1")\"}")"
T0=$SECONDS
burst pass /v1/sign/hash "Authorization: Bearer $APPT" \
	"{\"digest\":\"$DG\",\"key\":\"$IND\",\"passphrase\":\"wrong guess @I@\"}"
eq "$N wrong passphrases at once: 5 checked (401), 55 locked (403), all answered" "5 55 $N" "$(counts pass)"
check "... within 60 s" test $((SECONDS - T0)) -lt 60
eq "the right passphrase after the limit is refused: 403 locked" "403 locked" \
	"$(https_code /v1/sign/hash -H "Authorization: Bearer $APPT" \
	-d "{\"digest\":\"$DG\",\"key\":\"$IND\",\"passphrase\":\"$(cat "$TMP/p1")\"}") $(json_err)"
eq "the audit log has exactly 5 passphrase failures" 5 "$($CTL audit export | grep -c '"action":"auth.passphrase"')"

# A seal, its officer (a staff login) and the seal's authenticator.
$VA --json seal register --name "Sistem Naskah Dinas" --email segel@agency.go.id \
	--letter "$PDF" >"$TMP/seal.json"
SEAL=$(jget "$TMP/seal.json" subscriber.id)
$VB request approve --id "$(jget "$TMP/seal.json" request.id)" >/dev/null
$CTL --json client add --name sealer --role client --key "$SEAL" >"$TMP/sealer.json"
SEALT=$(jget "$TMP/sealer.json" token)
$CTL user create --name tono --email tono@agency.go.id --role officer --seal "$SEAL" --lang en >/dev/null
OINIT=$(mail_wait tono@agency.go.id 'Initial password' 1)
OPW='kopi tubruk manis 45'
eq "the officer's first login enrols their authenticator" 200 "$(https_code /v1/login \
	-d "{\"name\":\"tono\",\"password\":\"$OINIT\",\"new_password\":\"$OPW\"}")"
OSECRET=$(jget "$TMP/body" totp.secret)
while [ $(( $(date +%s) % 30 )) -gt 25 ]; do sleep 1; done
eq "password + TOTP give the officer a session" 200 "$(https_code /v1/login \
	-d "{\"name\":\"tono\",\"password\":\"$OPW\",\"totp\":\"$(oathtool --totp -b "$OSECRET")\"}")"
OTOK=$(jget "$TMP/body" token)
eq "the officer asks for the seal's activation" 200 "$(https_code "/v1/ra/seals/$SEAL/activation" \
	-H "Authorization: Bearer $OTOK" -X POST -d '{}')"
AC=$(mail_wait segel@agency.go.id 'ode[ a-z]*' 1)
eq "... and enrols the seal's authenticator" 201 "$(https_code "/v1/ra/seals/$SEAL/totp" \
	-H "Authorization: Bearer $OTOK" -X POST -d '{}')"
SSECRET=$(jget "$TMP/body" secret)

# The seal's authenticator code.
T0=$SECONDS
burst totp "/v1/ra/seals/$SEAL/codes" "Authorization: Bearer $OTOK" \
	'{"totp":"@I@","documents":"1"}'
eq "$N wrong authenticator codes at once: 5 checked (401), 55 locked (403)" "5 55 $N" "$(counts totp)"
check "... within 60 s" test $((SECONDS - T0)) -lt 60
while [ $(( $(date +%s) % 30 )) -gt 25 ]; do sleep 1; done
eq "the right authenticator code after the limit is refused: 403 locked" "403 locked" \
	"$(https_code "/v1/ra/seals/$SEAL/codes" -H "Authorization: Bearer $OTOK" \
	-d "{\"totp\":\"$(oathtool --totp -b "$SSECRET")\",\"documents\":\"1\"}") $(json_err)"
check "a verifier unlocks the seal" $VB subscriber unlock --id "$SEAL"

# The emailed activation code (the application exchanges it).
T0=$SECONDS
burst act "/v1/ra/seals/$SEAL/codes" "Authorization: Bearer $SEALT" \
	'{"activation_code":"AAAAA-@I@","documents":"1"}'
eq "$N wrong activation codes at once: 5 checked (401), 55 locked (403)" "5 55 $N" "$(counts act)"
check "... within 60 s" test $((SECONDS - T0)) -lt 60
eq "the right activation code after the limit is refused: 403 locked" "403 locked" \
	"$(https_code "/v1/ra/seals/$SEAL/codes" -H "Authorization: Bearer $SEALT" \
	-d "{\"activation_code\":\"$AC\",\"documents\":\"1\"}") $(json_err)"

# A staff login (password). A locked account answers as a wrong
# password does (401), so that a lock does not tell which names exist:
# the checks are counted in the audit log.
T0=$SECONDS
L0=$($CTL audit export | grep '"action":"login"' | grep -vc '"result":0')
burst login /v1/login "X-None: 1" '{"name":"tono","password":"wrong password @I@"}'
eq "$N wrong passwords at once: all answered 401" "$N 0 $N" "$(counts login)"
eq "... of which exactly 5 were checked (the audit log's failed logins)" 5 \
	"$(( $($CTL audit export | grep '"action":"login"' | grep -vc '"result":0') - L0 ))"
check "... within 60 s" test $((SECONDS - T0)) -lt 60
while [ $(( $(date +%s) % 30 )) -gt 25 ]; do sleep 1; done
eq "the right password and TOTP after the limit are refused like a wrong one: 401" "401 unauthorized" \
	"$(https_code /v1/login -d "{\"name\":\"tono\",\"password\":\"$OPW\",\"totp\":\"$(oathtool --totp -b "$OSECRET")\"}") $(json_err)"
check "audit verify" bash -c "$CTL --json audit verify | grep -q '\"ok\": true'"
finish
