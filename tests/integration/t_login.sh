#!/usr/bin/env bash
# Verifiers' logins: an account made by the admin, its initial password
# emailed, changed at the first login with an authenticator enrolled
# (otpauth URI and QR code read by zbarimg), then password + TOTP
# (oathtool) give a session token that works as a bearer, ends when idle
# and at logout; replays, wrong passwords and lockout.
. "$(dirname "$0")/lib.sh"
esd_init
printf 'session_idle_seconds = 6\n' >>"$D/esignd.conf"
esd_start
CTL="$ESIGNCTL -c $D/esignd.conf"
PY=/usr/bin/python3
login() { https_code /v1/login -d "$1"; }

check "the admin creates a verifier's account" $CTL user create --name siti \
	--email siti@agency.go.id --role verifier --lang en
eq "a second account of that name is 409" 409 "$(unix_code /v1/users \
	-d '{"name":"siti","email":"s@agency.go.id","role":"verifier"}')"
eq "a verifier role only: 'root' is 400" 400 "$(unix_code /v1/users \
	-d '{"name":"x","email":"s@agency.go.id","role":"root"}')"
for _ in $(seq 50); do ls "$D"/mail/new/* >/dev/null 2>&1 && break; sleep 0.1; done
M=$(grep -l '^To: siti@agency.go.id' "$D"/mail/new/* | head -1)
INIT=$(sed -n 's/.*Initial password: *\([A-Z0-9-]*\).*/\1/p' "$M" | tr -d '\r')
check "the initial password arrives by email" test ${#INIT} -eq 11
check "... and is stored nowhere" bash -c "! store_dump | grep -q '$INIT'"
eq "a wrong password is 401" 401 "$(login '{"name":"siti","password":"nope"}')"
eq "an unknown user is 401 too" 401 "$(login '{"name":"nobody","password":"nope"}')"
eq "the initial password alone is 403 (must change)" 403 "$(login "{\"name\":\"siti\",\"password\":\"$INIT\"}")"
S0=$(state_sum)
eq "a common new password is 400" 400 "$(login "{\"name\":\"siti\",\"password\":\"$INIT\",\"new_password\":\"password123\"}")"
# libpwquality's cracklib dictionary, not a list: "password12" was never on one.
eq "\"password12\" (a dictionary word and digits) is 400" 400 \
	"$(login "{\"name\":\"siti\",\"password\":\"$INIT\",\"new_password\":\"password12\"}")"
check "... saying why: too weak, based on a dictionary word" \
	grep -q 'too weak: the password fails the dictionary check - it is based on a dictionary word' "$TMP/body"
eq "\"merdeka1945\" (libpwquality scores it under password_min_quality 50) is 400" 400 \
	"$(login "{\"name\":\"siti\",\"password\":\"$INIT\",\"new_password\":\"merdeka1945\"}")"
check "... saying its score and the key that sets the minimum" \
	grep -q 'scores [0-9]* of 100 and at least 50 is needed (password_min_quality)' "$TMP/body"
eq "... and the refusals change nothing" "$S0" "$(state_sum)"
eq "changing it enrols an authenticator: 200" 200 "$(login \
	"{\"name\":\"siti\",\"password\":\"$INIT\",\"new_password\":\"nasi goreng pedas 99\"}")"
cp "$TMP/body" "$TMP/enrol.json"
eq "... without a session yet" True "$(jget "$TMP/enrol.json" enrol_required)"
URI=$(jget "$TMP/enrol.json" totp.uri)
SECRET=$(jget "$TMP/enrol.json" totp.secret)
jget "$TMP/enrol.json" totp.qr_png | base64 -d >"$TMP/qr.png"
eq "the QR code reads back as the otpauth URI" "QR-Code:$URI" "$(zbarimg -q "$TMP/qr.png" 2>/dev/null)"
eq "the initial password no longer works" 401 "$(login "{\"name\":\"siti\",\"password\":\"$INIT\"}")"
PW='nasi goreng pedas 99'
eq "the new password without a TOTP is 401" 401 "$(login "{\"name\":\"siti\",\"password\":\"$PW\"}")"
totp T "$SECRET"
printf '%s\n' "$PW" >"$TMP/pw"
TOKEN=$($CTL user login --name siti --password-file "$TMP/pw" --totp "$T")
check "password + oathtool code give a session token" test ${#TOKEN} -eq 64
eq "the same TOTP again is refused (replay)" 401 "$(login "{\"name\":\"siti\",\"password\":\"$PW\",\"totp\":\"$T\"}")"
AUTH=(-H "Authorization: Bearer $TOKEN")
eq "the session works as a bearer: the queue is 200" 200 "$(https_code /v1/ra/requests "${AUTH[@]}")"
eq "with the verifier's role: a registration is 201" 201 "$(https_code /v1/ra/individuals "${AUTH[@]}" \
	-d '{"name":"Andi","nik":"3171000000000009","email":"andi@agency.go.id","unit":"TU"}')"
check "the audit names the person" bash -c "$CTL audit export | grep -q '\"actor\":\"user:siti\"'"
eq "it is not an admin: 403 on /v1/clients" 403 "$(https_code /v1/clients "${AUTH[@]}")"
sleep 7
eq "idle for longer than session_idle_seconds: 401" 401 "$(https_code /v1/ra/requests "${AUTH[@]}")"
totp T2 "$SECRET"
TOKEN2=$($CTL user login --name siti --password-file "$TMP/pw" --totp "$T2")
eq "a new session" 200 "$(https_code /v1/ra/requests -H "Authorization: Bearer $TOKEN2")"
echo "$TOKEN2" >"$TMP/session"
check "logout" $CTL --token-file "$TMP/session" user logout
eq "the session is gone: 401" 401 "$(https_code /v1/ra/requests -H "Authorization: Bearer $TOKEN2")"
# Browsers: the same session as an HttpOnly cookie, with a CSRF token.
totp T3 "$SECRET"
curl -s -D "$TMP/h" -o "$TMP/l.json" -c "$TMP/jar" --cacert "$D/ca.pem" \
	-d "{\"name\":\"siti\",\"password\":\"$PW\",\"totp\":\"$T3\"}" "$URL/v1/login"
check "the login sets the session cookie HttpOnly, Secure, SameSite=Strict" \
	grep -qi '^Set-Cookie: esignd_session=[0-9a-f]\{64\}; Path=/; Secure; HttpOnly; SameSite=Strict' "$TMP/h"
CSRF=$(jget "$TMP/l.json" csrf)
eq "the cookie reads the queue (GET)" 200 "$(https_code /v1/ra/requests -b "$TMP/jar")"
eq "a change with the cookie but no CSRF token is 403" 403 "$(https_code /v1/ra/individuals -b "$TMP/jar" \
	-d '{"name":"Cici","nik":"3171000000000019","email":"cici@agency.go.id","unit":"TU"}')"
eq "... with a wrong one, 403" 403 "$(https_code /v1/ra/individuals -b "$TMP/jar" -H "X-CSRF-Token: $(printf '%064d' 0)" \
	-d '{"name":"Cici","nik":"3171000000000019","email":"cici@agency.go.id","unit":"TU"}')"
eq "... with the login's CSRF token, 201" 201 "$(https_code /v1/ra/individuals -b "$TMP/jar" -H "X-CSRF-Token: $CSRF" \
	-d '{"name":"Cici","nik":"3171000000000019","email":"cici@agency.go.id","unit":"TU"}')"
eq "a cookie-session logout (with the CSRF token) is 200" 200 "$(https_code /v1/logout -b "$TMP/jar" -H "X-CSRF-Token: $CSRF" -X POST -D "$TMP/h2")"
check "... and clears the cookie" grep -qi '^Set-Cookie: esignd_session=; .*Max-Age=0' "$TMP/h2"
eq "the cookie no longer works" 401 "$(https_code /v1/ra/requests -b "$TMP/jar")"
# A browser still holding that stale cookie logs in again: the public
# login ignores it (no CSRF token asked) and clears it.
eq "with a stale cookie, a wrong password is 401, not 403" "401 unauthorized" \
	"$(https_code /v1/login -b "$TMP/jar" -D "$TMP/h3" -d '{"name":"siti","password":"wrong"}') $(json_err)"
check "... and the answer clears the stale cookie" grep -qi '^Set-Cookie: esignd_session=; .*Max-Age=0' "$TMP/h3"
eq "an unknown cookie of another form is ignored as well: 401" "401 unauthorized" \
	"$(https_code /v1/login -b 'esignd_session=nonsense' -d '{"name":"siti","password":"wrong"}') $(json_err)"
totp T4 "$SECRET"
eq "with the stale cookie, the right password and TOTP log in: 200" 200 "$(https_code /v1/login -b "$TMP/jar" \
	-D "$TMP/h4" -d "{\"name\":\"siti\",\"password\":\"$PW\",\"totp\":\"$T4\"}")"
check "... with a new session cookie" grep -qi '^Set-Cookie: esignd_session=[0-9a-f]\{64\}; Path=/' "$TMP/h4"

for i in 1 2 3 4 5; do login "{\"name\":\"siti\",\"password\":\"wrong $i\"}" >/dev/null; done
eq "after 5 failed logins the account is locked: even the right password is 401" 401 "$(login "{\"name\":\"siti\",\"password\":\"$PW\",\"totp\":\"000000\"}")"
eq "... code 'unauthorized', as for an unknown name (no 'locked' to tell that it exists)" unauthorized "$(json_err)"

# An admin manages the staff accounts.
ulist() {  # ulist NAME FIELD...: the fields of NAME in user list
	$CTL --json user list | $PY -c 'import json,sys
u = {x["name"]: x for x in json.load(sys.stdin)["users"]}
print(" ".join(str(u[sys.argv[1]][k]).lower() for k in sys.argv[2:]))' "$@"
}
eq "user list: siti is enrolled, locked, not disabled" "true true false" "$(ulist siti enrolled locked disabled)"
check "... and shows no secret" bash -c "! $CTL --json user list | grep -q -e password -e initial -e secret"
$CTL --json client add --name vclient --role verifier >"$TMP/vc.json"
eq "a verifier may not list the accounts: 403" 403 \
	"$(https_code /v1/users -H "Authorization: Bearer $(jget "$TMP/vc.json" token)")"
S0=$(state_sum)
eq "... nor unlock one: 403, nothing changed" "403 $S0" \
	"$(https_code /v1/users/siti/unlock -X POST -H "Authorization: Bearer $(jget "$TMP/vc.json" token)") $(state_sum)"
eq "an unknown account: 404" 404 "$(unix_code /v1/users/nobody/unlock -X POST)"
check "the admin unlocks siti" $CTL user unlock --name siti
eq "... who is no longer locked" false "$(ulist siti locked)"
totp T5 "$SECRET"
eq "and logs in again: 200" 200 "$(login "{\"name\":\"siti\",\"password\":\"$PW\",\"totp\":\"$T5\"}")"
TOKEN5=$(jget "$TMP/body" token)
eq "... her session works" 200 "$(https_code /v1/ra/requests -H "Authorization: Bearer $TOKEN5")"
check "the admin disables siti" $CTL user disable --name siti
eq "... her session ends at once: 401" 401 "$(https_code /v1/ra/requests -H "Authorization: Bearer $TOKEN5")"
eq "... and her login answers as an unknown name's" "401 unauthorized" \
	"$(login "{\"name\":\"siti\",\"password\":\"$PW\",\"totp\":\"$T5\"}") $(json_err)"
eq "user list shows her disabled" true "$(ulist siti disabled)"
check "the admin enables her" $CTL user enable --name siti
eq "... not disabled" false "$(ulist siti disabled)"
NMAIL=$(grep -l '^To: siti@agency.go.id' "$D"/mail/new/* | wc -l)
check "the admin starts her account again (reset)" $CTL user reset --name siti
eq "... no authenticator, a password to change" "false true" "$(ulist siti enrolled must_change)"
for _ in $(seq 50); do [ "$(grep -l '^To: siti@agency.go.id' "$D"/mail/new/* | wc -l)" -gt "$NMAIL" ] && break; sleep 0.1; done
M2=$(grep -l '^To: siti@agency.go.id' "$D"/mail/new/* | xargs ls -t | head -1)
INIT2=$(sed -n 's/.*Initial password: *\([A-Z0-9-]*\).*/\1/p' "$M2" | tr -d '\r')
check "a new initial password arrives by email" test ${#INIT2} -eq 11 -a "$INIT2" != "$INIT"
eq "her old password no longer works" 401 "$(login "{\"name\":\"siti\",\"password\":\"$PW\",\"totp\":\"$T5\"}")"
eq "the new initial password must be changed: 403" 403 "$(login "{\"name\":\"siti\",\"password\":\"$INIT2\"}")"
eq "changing it enrols a new authenticator" True "$(login "{\"name\":\"siti\",\"password\":\"$INIT2\",\"new_password\":\"soto ayam hangat 7\"}" >/dev/null; jget "$TMP/body" enrol_required)"
check "every change is audited" bash -c "$CTL audit export | grep -c -e '\"action\":\"user.unlock\"' -e '\"action\":\"user.disable\"' -e '\"action\":\"user.enable\"' -e '\"action\":\"user.reset\"' | grep -qx 4"
check "the TOTP secret is stored encrypted" bash -c "! store_dump | grep -q '$SECRET'"
check "no password or token in the log" bash -c "! grep -q -e 'nasi goreng' -e '$TOKEN' '$TMP/daemon.log'"
check "audit verify" bash -c "$CTL --json audit verify | grep -q '\"ok\": true'"
finish
