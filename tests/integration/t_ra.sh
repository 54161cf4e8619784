#!/usr/bin/env bash
# The registration authority end to end: verifiers register an individual
# and seals, a second verifier decides, emails arrive over SMTP with
# STARTTLS at a real SMTP server (aiosmtpd) and carry what the next step
# needs, certificates chain to the demo CA (openssl verify), revocation
# shows in the CRL and OCSP, renewal keeps the old certificate, every
# illegal transition is 409 and changes nothing, and the SLA report counts.
. "$(dirname "$0")/lib.sh"
esd_init
CTL="$ESIGNCTL -c $D/esignd.conf"
PY=/usr/bin/python3
SINK="$TMP/sink"
SPORT=$(free_port)

# A real SMTP server that insists on STARTTLS, storing mail in a maildir.
$PY -m aiosmtpd -n -l "127.0.0.1:$SPORT" --tlscert "$D/tls/server.crt" \
	--tlskey "$D/tls/server.key" -c aiosmtpd.handlers.Mailbox "$SINK" \
	>"$TMP/smtp.log" 2>&1 &
SMTPD=$!
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$SPORT) 2>/dev/null && break; sleep 0.1; done
sed -i -e 's/^mail_maildir = mail$//' -e 's/^mail_from = .*$/mail_from = ra@esignd.test/' "$D/esignd.conf"
cat >>"$D/esignd.conf" <<EOF
smtp_url = smtp://127.0.0.1:$SPORT
smtp_require_tls = yes
smtp_ca_file = ca.pem
EOF
esd_start

# mail_to ADDR TEMPLATE_WORD: waits for a message to ADDR whose subject
# has the word; prints its file.
mail_wait() {
	local f
	for _ in $(seq 100); do
		f=$(grep -l -i "^To: $1" "$SINK"/new/* 2>/dev/null | xargs -r grep -l -i "^Subject:.*$2" | head -1)
		[ -n "$f" ] && { echo "$f"; return 0; }
		sleep 0.1
	done
	return 1
}

# Two verifiers, made by the admin (the Unix socket's peer).
$CTL --json client add --name verifier-a --role verifier >"$TMP/va.json"
$CTL --json client add --name verifier-b --role verifier >"$TMP/vb.json"
jget "$TMP/va.json" token >"$TMP/va.tok"
jget "$TMP/vb.json" token >"$TMP/vb.tok"
check "the admin adds two verifiers" test -s "$TMP/va.tok" -a -s "$TMP/vb.tok"
eq "a second client of the same name is 409" 1 \
	"$($CTL client add --name verifier-a --role verifier >/dev/null 2>&1; echo $?)"
check "client list names them, without a hash" bash -c \
	"$CTL --json client list | grep -q verifier-b && ! $CTL --json client list | grep -q hash"
VA="$CTL --token-file $TMP/va.tok"
VB="$CTL --token-file $TMP/vb.tok"
auth_a=(-H "Authorization: Bearer $(cat "$TMP/va.tok")")

# Roles.
eq "anonymous GET /v1/ra/requests is 401" 401 "$(https_code /v1/ra/requests)"
eq "the admin may not register (verifier's work): 403" 403 "$(https_code /v1/ra/individuals \
	-H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
	-d '{"name":"X","nik":"3171000000000001","email":"x@agency.go.id","unit":"U"}')"
eq "a verifier may not add clients: 403" 403 "$(https_code /v1/clients "${auth_a[@]}" \
	-H 'Content-Type: application/json' -d '{"name":"z","role":"admin"}')"

# An individual.
S0=$(state_sum)
eq "a NIK of 15 digits is 400" 400 "$(https_code /v1/ra/individuals "${auth_a[@]}" \
	-d '{"name":"Budi","nik":"317100000000000","email":"budi@agency.go.id","unit":"IT"}')"
eq "an unknown field is 400" 400 "$(https_code /v1/ra/individuals "${auth_a[@]}" \
	-d '{"name":"Budi","nik":"3171000000000001","email":"budi@agency.go.id","unit":"IT","role":"x"}')"
eq "a name with '/' is 400" 400 "$(https_code /v1/ra/individuals "${auth_a[@]}" \
	-d '{"name":"Budi/CN=evil","nik":"3171000000000001","email":"budi@agency.go.id","unit":"IT"}')"
eq "malformed JSON is 400" 400 "$(https_code /v1/ra/individuals "${auth_a[@]}" -d '{"name":')"
eq "... and none of them changed the store" "$S0" "$(state_sum)"
$VA --json user register --name "Budi Santoso" --nik 3171000000000001 \
	--email budi@agency.go.id --unit "Biro Umum" --org "Kementerian Contoh" --lang en >"$TMP/ind.json"
IND=$(jget "$TMP/ind.json" subscriber.id)
RIND=$(jget "$TMP/ind.json" request.id)
eq "esignctl user register: pending" pending "$(jget "$TMP/ind.json" request.state)"
eq "the same NIK again is 409" 1 "$($VA user register --name B --nik 3171000000000001 \
	--email b@agency.go.id --unit U >/dev/null 2>&1; echo $?)"
S1E=$(state_sum)
eq "another NIK with the same official email is 409 (one person per address)" "409 conflict" \
	"$(https_code /v1/ra/individuals "${auth_a[@]}" \
	-d '{"name":"Budi Lain","nik":"3171000000000099","email":"Budi@agency.go.id","unit":"IT"}') $(json_err)"
eq "... and the store is unchanged" "$S1E" "$(state_sum)"
S1=$(state_sum)
eq "the registering verifier approving it is refused (exit 1)" 1 \
	"$($VA request approve --id "$RIND" >/dev/null 2>&1; echo $?)"
eq "... as 403 (four eyes: a refusal, not a conflict)" 403 "$(https_code "/v1/ra/requests/$RIND/approve" "${auth_a[@]}" -X POST)"
eq "... and the store is unchanged" "$S1" "$(state_sum)"
check "the queue lists it as pending" bash -c "$VB --json request list --state pending | grep -q $RIND"
check "a second verifier approves" $VB request approve --id "$RIND"
eq "approving twice is 409" 409 "$(https_code "/v1/ra/requests/$RIND/approve" \
	-H "Authorization: Bearer $(cat "$TMP/vb.tok")" -X POST)"
M=$(mail_wait budi@agency.go.id activate)
check "the activation email arrives over SMTP" test -n "$M"
CODE=$(sed -n 's/.*Activation code: *\([A-Z0-9-]*\).*/\1/p' "$M" | tr -d '\r')
check "it carries the subscriber id, a code and a link" bash -c \
	"grep -q '$IND' '$M' && [ ${#CODE} -eq 11 ] && grep -q '$URL/console/#activate?subscriber=$IND&code=$CODE' '$M'"
check "the code is stored nowhere in the store" bash -c "! store_dump | grep -q '$CODE'"
printf 'Subject: plain\r\n\r\nx\r\n' >"$TMP/plain.eml"
check "the SMTP server refuses mail without STARTTLS (so esignd used it)" bash -c \
	"! curl -s smtp://127.0.0.1:$SPORT --mail-from a@b.test --mail-rcpt c@d.test -T '$TMP/plain.eml'"
printf 'correct horse battery staple\n' >"$TMP/pass"
printf 'password123\n' >"$TMP/weak"
eq "a wrong code is 401" 401 "$(https_code /v1/ra/activate -d \
	"{\"subscriber\":\"$IND\",\"code\":\"AAAAA-AAAAA\",\"passphrase\":\"correct horse battery\"}")"
eq "a common passphrase is 400" 1 "$($CTL user activate --subscriber "$IND" --code "$CODE" \
	--passphrase-file "$TMP/weak" >/dev/null 2>&1; echo $?)"
$CTL --json user activate --subscriber "$IND" --code "$CODE" --passphrase-file "$TMP/pass" >"$TMP/act.json"
eq "the subscriber activates: active" active "$(jget "$TMP/act.json" subscriber.status)"
check "the passphrase is not in the answer" bash -c "! grep -q 'argon2\|passphrase' '$TMP/act.json'"
check "the store holds only an Argon2id hash of it" bash -c \
	"store_dump | grep -q 'argon2id' && ! store_dump | grep -q 'horse battery'"
eq "the code works once: 401" 401 "$(https_code /v1/ra/activate -d \
	"{\"subscriber\":\"$IND\",\"code\":\"$CODE\",\"passphrase\":\"another long passphrase\"}")"
M=$(mail_wait budi@agency.go.id issued)
SER=$(jget "$TMP/act.json" subscriber.serial)
check "the 'issued' email names the serial" grep -q "$SER" "$M"
$VB --json cert show --serial "$SER" >"$TMP/cert.json"
jget "$TMP/cert.json" pem >"$TMP/ind.pem"
check "openssl verify: the individual chain" openssl verify -CAfile "$D/ca.pem" \
	-untrusted "$D/issuing-ca.pem" -purpose any "$TMP/ind.pem"
check "its subject comes from the profile" bash -c "openssl x509 -in '$TMP/ind.pem' -noout -subject | \
	grep -q 'O = Kementerian Contoh, OU = Biro Umum, GN = Budi, SN = Santoso, serialNumber = $IND, CN = Budi Santoso'"
check "its subjectAltName is the official email" bash -c \
	"openssl x509 -in '$TMP/ind.pem' -noout -ext subjectAltName | grep -q 'email:budi@agency.go.id'"
check "the key is in the token, private and not extractable" bash -c \
	"pkcs11-tool --module $P11MOD --login --pin \$(cat $D/pin) --list-objects --type privkey 2>/dev/null | \
	grep -A8 'label: *$IND-1' | grep -q 'never extractable'"

# Seals: registered with the recommendation letter.
LETTER="$CORPUS/libreoffice-letter.pdf"
$VA --json seal register --name "Sistem Persuratan" --org "Kementerian Contoh" \
	--email officer@agency.go.id --letter "$LETTER" >"$TMP/seal.json"
SEAL=$(jget "$TMP/seal.json" subscriber.id)
RSEAL=$(jget "$TMP/seal.json" request.id)
eq "esignctl seal register: pending" pending "$(jget "$TMP/seal.json" request.state)"
eq "the letter's SHA-256 is stored" "$(sha256sum "$LETTER" | cut -d' ' -f1)" \
	"$(jget "$TMP/seal.json" subscriber.letter_sha256)"
eq "the verifier reads the letter back" 200 "$(https_code "/v1/ra/letters/$(sha256sum "$LETTER" | cut -d' ' -f1)" "${auth_a[@]}")"
check "... byte for byte" cmp "$TMP/body" "$LETTER"
eq "a letter that is not a PDF is 400" 400 "$(https_code /v1/ra/seals "${auth_a[@]}" \
	-d '{"name":"S","email":"o@agency.go.id","letter":"aGVsbG8="}')"
S2=$(state_sum)
eq "renewing a seal not yet approved (issue without approval) is 409" 409 \
	"$(https_code "/v1/ra/subscribers/$SEAL/renew" "${auth_a[@]}" -X POST)"
eq "revoking it is 409" 409 "$(https_code "/v1/ra/subscribers/$SEAL/revoke" "${auth_a[@]}" \
	-d '{"reason":"superseded"}')"
eq "activating a seal as a person is 401" 401 "$(https_code /v1/ra/activate \
	-d "{\"subscriber\":\"$SEAL\",\"code\":\"AAAAA-AAAAA\",\"passphrase\":\"long enough phrase\"}")"
eq "... and the store is unchanged" "$S2" "$(state_sum)"
check "the second verifier approves the seal" $VB request approve --id "$RSEAL"
$VB --json subscriber show --id "$SEAL" >"$TMP/seal2.json"
eq "the seal is active" active "$(jget "$TMP/seal2.json" status)"
SSER=$(jget "$TMP/seal2.json" serial)
M=$(mail_wait officer@agency.go.id terbit)
check "the officer is emailed (Indonesian)" bash -c "[ -n '$M' ] && grep -q '$SSER' '$M'"
$VB --json cert show --serial "$SSER" >"$TMP/scert.json"
jget "$TMP/scert.json" pem >"$TMP/seal.pem"
check "openssl verify: the seal chain" openssl verify -CAfile "$D/ca.pem" \
	-untrusted "$D/issuing-ca.pem" -purpose any "$TMP/seal.pem"
# A second seal, rejected with a reason.
$VA --json seal register --name "Sistem Lain" --email other@agency.go.id --letter "$LETTER" >"$TMP/seal3.json"
R3=$(jget "$TMP/seal3.json" request.id)
eq "a rejection needs a reason: 400" 400 "$(https_code "/v1/ra/requests/$R3/reject" \
	-H "Authorization: Bearer $(cat "$TMP/vb.tok")" -d '{}')"
check "the second verifier rejects it" $VB request reject --id "$R3" --reason "letter not signed"
M=$(mail_wait other@agency.go.id ditolak)
check "the rejection email gives the reason" grep -q "letter not signed" "$M"
S3=$(state_sum)
eq "approving a rejected request is 409" 409 "$(https_code "/v1/ra/requests/$R3/approve" \
	-H "Authorization: Bearer $(cat "$TMP/vb.tok")" -X POST)"
eq "... and the store is unchanged" "$S3" "$(state_sum)"

# A seal officer: a staff login bound to the seal, for its activation
# and codes only. The account names existing seals, or nothing is made.
SEAL3=$(jget "$TMP/seal3.json" subscriber.id)
user() { unix_code /v1/users -d "{\"name\":\"tono\",\"email\":\"officer@agency.go.id\",\"role\":\"$1\"$2}"; }
S5=$(state_sum)
eq "an officer naming an unknown seal is 404" 404 "$(user officer ',"seals":["seal-00000000deadbeef"]')"
eq "... naming a person is 400" 400 "$(user officer ",\"seals\":[\"$IND\"]")"
eq "... naming no seal is 400" 400 "$(user officer '')"
eq "... naming a seal twice is 400" 400 "$(user officer ",\"seals\":[\"$SEAL\",\"$SEAL\"]")"
eq "... 'seals' not an array is 400" 400 "$(user officer ",\"seals\":\"$SEAL\"")"
eq "a verifier naming seals is 400" 400 "$(user verifier ",\"seals\":[\"$SEAL\"]")"
eq "a verifier may not create accounts: 403" 403 "$(https_code /v1/users "${auth_a[@]}" \
	-d "{\"name\":\"tono\",\"email\":\"officer@agency.go.id\",\"role\":\"officer\",\"seals\":[\"$SEAL\"]}")"
eq "... and none of them wrote anything" "$S5" "$(state_sum)"
check "the admin creates the seal's officer (esignctl user create --role officer --seal)" \
	$CTL user create --name tono --email officer@agency.go.id --role officer --seal "$SEAL" --lang en
$CTL --json user create --name wati --email wati@agency.go.id --role officer \
	--seal "$SEAL" --seal "$SEAL3" >"$TMP/wati.json"
eq "an officer may answer for several seals (--seal, repeated)" "$SEAL $SEAL3" \
	"$(jget "$TMP/wati.json" seals.0) $(jget "$TMP/wati.json" seals.1)"
M=$(mail_wait officer@agency.go.id account)
OINIT=$(sed -n 's/.*Initial password: *\([A-Z0-9-]*\).*/\1/p' "$M" | tr -d '\r')
check "the officer's initial password arrives by email" test ${#OINIT} -eq 11
OPW='kopi tubruk manis 45'
eq "the officer's first login changes the password and enrols: 200" 200 "$(https_code /v1/login \
	-d "{\"name\":\"tono\",\"password\":\"$OINIT\",\"new_password\":\"$OPW\"}")"
OSECRET=$(jget "$TMP/body" totp.secret)
while [ $(( $(date +%s) % 30 )) -gt 25 ]; do sleep 1; done
printf '%s\n' "$OPW" >"$TMP/opw"
$CTL --json user login --name tono --password-file "$TMP/opw" --totp "$(oathtool --totp -b "$OSECRET")" >"$TMP/ologin.json"
eq "password + TOTP give the officer a session, role officer" officer "$(jget "$TMP/ologin.json" role)"
eq "... naming the seal" "$SEAL" "$(jget "$TMP/ologin.json" seals.0)"
OAUTH=(-H "Authorization: Bearer $(jget "$TMP/ologin.json" token)")
eq "the officer reads their seal: 200" 200 "$(https_code "/v1/ra/subscribers/$SEAL" "${OAUTH[@]}")"
eq "... its activation state among it" seal "$(jget "$TMP/body" kind)"
S6=$(state_sum)
for r in "/v1/ra/requests" "/v1/ra/requests/$RSEAL" "/v1/ra/subscribers" "/v1/ra/subscribers/$SEAL3" \
	"/v1/ra/subscribers/$IND" "/v1/audit" "/v1/status" "/v1/clients" "/v1/ra/sla?from=2026-01-01&to=2026-12-31" \
	"/v1/ra/certs/$SSER"; do
	eq "the officer is 403 forbidden on GET $r" "403 forbidden" "$(https_code "$r" "${OAUTH[@]}") $(json_err)"
done
for r in "/v1/ra/requests/$R3/approve" "/v1/ra/requests/$R3/reject" "/v1/ra/seals/$SEAL3/activation" \
	"/v1/ra/seals/$SEAL3/totp" "/v1/ra/subscribers/$IND/otp" "/v1/ra/subscribers/$SEAL/unlock" \
	"/v1/ra/subscribers/$SEAL/renew" "/v1/ra/subscribers/$SEAL/revoke" "/v1/users" "/v1/clients" \
	"/v1/ra/individuals" "/v1/ra/seals"; do
	eq "the officer is 403 forbidden on POST $r" "403 forbidden" \
		"$(https_code "$r" "${OAUTH[@]}" -d '{"reason":"x","documents":"1"}') $(json_err)"
done
eq "the officer may not seal with the seal (403)" "403 forbidden" "$(https_code /v1/seal "${OAUTH[@]}" \
	-F "file=@$LETTER" -F "key=$SEAL" -F seal_code=x) $(json_err)"
eq "... nor sign (403)" "403 forbidden" "$(https_code /v1/sign "${OAUTH[@]}" \
	-F "file=@$LETTER" -F "key=$IND" -F passphrase=x) $(json_err)"
eq "... and the store is unchanged" "$S6" "$(state_sum)"
OA="$CTL --token-file $TMP/otok"
jget "$TMP/ologin.json" token >"$TMP/otok"
check "the officer asks for the seal's activation" $OA seal activate --id "$SEAL"
M=$(mail_wait officer@agency.go.id "kode aktivasi\\|activation code")
OAC=$(sed -n 's/.*\(Activation code\|Kode aktivasi\): *\([A-Z0-9]\{5\}-[A-Z0-9]\{5\}\).*/\2/p' "$M" | tr -d '\r' | tail -1)
OSC=$($OA seal code --id "$SEAL" --activation-code "$OAC" --documents 1)
check "... exchanges the emailed code for a seal code" test ${#OSC} -eq 32
check "... and revokes the activation" $OA seal deactivate --id "$SEAL"
check "the officer logs out" $OA user logout
eq "... the session is gone: 401" 401 "$(https_code "/v1/ra/subscribers/$SEAL" "${OAUTH[@]}")"

# Revocation of the individual: OCSP good, then revoked; the CRL lists it.
ocsp_curl() {
	openssl ocsp -issuer "$D/issuing-ca.pem" -sha256 -cert "$1" -reqout "$TMP/o.req" >/dev/null 2>&1
	curl -s -o "$TMP/o.resp" --cacert "$D/ca.pem" -H 'Content-Type: application/ocsp-request' \
		--data-binary @"$TMP/o.req" "$URL/ocsp"
	openssl ocsp -respin "$TMP/o.resp" -reqin "$TMP/o.req" -no_nonce -issuer "$D/issuing-ca.pem" -sha256 -cert "$1" \
		-CAfile "$D/ca.pem" -verify_other "$D/issuing-ca.pem" 2>&1 | sed -n "s|^$1: ||p"
}
eq "OCSP: the individual's certificate is good" good "$(ocsp_curl "$TMP/ind.pem")"
$VA --json cert revoke --subscriber "$IND" --reason keyCompromise >"$TMP/rv.json"
RRV=$(jget "$TMP/rv.json" request.id)
eq "a revocation request is pending" pending "$(jget "$TMP/rv.json" request.state)"
eq "a second revocation request meanwhile is 409" 1 \
	"$($VB cert revoke --subscriber "$IND" --reason keyCompromise >/dev/null 2>&1; echo $?)"
eq "an unknown reason is 400" 400 "$(https_code "/v1/ra/subscribers/$IND/revoke" "${auth_a[@]}" -d '{"reason":"bored"}')"
check "the second verifier approves the revocation" $VB request approve --id "$RRV"
eq "OCSP: revoked" revoked "$(ocsp_curl "$TMP/ind.pem")"
curl -s --cacert "$D/ca.pem" -o "$TMP/crl.der" "$URL/crl/issuing-ca.crl"
cat "$D/issuing-ca.pem" "$D/ca.pem" >"$TMP/chain.pem"
check "the CRL verifies and lists the serial" bash -c \
	"openssl crl -inform DER -in '$TMP/crl.der' -CAfile '$TMP/chain.pem' -noout -verify 2>&1 | grep -q 'verify OK' && \
	openssl crl -inform DER -in '$TMP/crl.der' -noout -text | grep -qi 'Serial Number: *$SER'"
M=$(mail_wait budi@agency.go.id revoked)
check "the revocation email names the serial" grep -q "$SER" "$M"
S4=$(state_sum)
eq "revoking a revoked subscriber is 409" 409 "$(https_code "/v1/ra/subscribers/$IND/revoke" "${auth_a[@]}" \
	-d '{"reason":"keyCompromise"}')"
eq "... and the store is unchanged" "$S4" "$(state_sum)"

# Renewal of the seal: a new key and certificate; the old one stays valid.
$VB --json cert renew --subscriber "$SEAL" >"$TMP/rn.json"
RRN=$(jget "$TMP/rn.json" request.id)
check "the first verifier approves the renewal" $VA request approve --id "$RRN"
$VA --json subscriber show --id "$SEAL" >"$TMP/seal4.json"
NSER=$(jget "$TMP/seal4.json" serial)
check "the seal has a new serial" test "$NSER" != "$SSER"
eq "... and a new key" "$SEAL-2" "$(jget "$TMP/seal4.json" key)"
eq "the old certificate is kept, still valid" valid "$($VA --json cert show --serial "$SSER" | \
	$PY -c 'import json,sys; print(json.load(sys.stdin)["status"])')"
$VA --json cert show --serial "$NSER" >"$TMP/ncert.json"
jget "$TMP/ncert.json" pem >"$TMP/seal-new.pem"
check "openssl verify: the renewed chain" openssl verify -CAfile "$D/ca.pem" \
	-untrusted "$D/issuing-ca.pem" -purpose any "$TMP/seal-new.pem"

# CRL on demand (admin only).
check "esignctl crl issue (admin)" $CTL crl issue --ca issuing-ca
eq "a verifier may not: exit 1" 1 "$($VA crl issue --ca issuing-ca >/dev/null 2>&1; echo $?)"

# SLA: today's requests were all decided at once.
TODAY=$(TZ=Asia/Jakarta date +%F)
$VA sla report --from "$TODAY" --to "$TODAY" --csv >"$TMP/sla.csv"
eq "SLA: individual 1 met" "individual,3,1,1,0,0" "$(grep '^individual,' "$TMP/sla.csv")"
eq "SLA: seal 2 met (approved, rejected)" "seal,4,2,2,0,0" "$(grep '^seal,' "$TMP/sla.csv")"
eq "SLA: renewal 1 met" "renewal,3,1,1,0,0" "$(grep '^renewal,' "$TMP/sla.csv")"
eq "SLA: revocation 1 met" "revocation,1,1,1,0,0" "$(grep '^revocation,' "$TMP/sla.csv")"
eq "a bad date is 400" 400 "$(https_code "/v1/ra/sla?from=2026-02-30&to=2026-03-01" "${auth_a[@]}")"

# Every change was audited; the chain holds.
check "audit verify" bash -c "$CTL --json audit verify | grep -q '\"ok\": true'"
check "the audit log has the RA's actions" bash -c "$CTL audit export | grep -q 'ra.approve' && \
	$CTL audit export | grep -q 'mail.sent' && $CTL audit export | grep -q 'client:verifier-b'"
check "no activation code or passphrase in the daemon log" bash -c \
	"! grep -q '$CODE' '$TMP/daemon.log' && ! grep -q 'horse battery' '$TMP/daemon.log'"
kill $SMTPD 2>/dev/null

# Paging: pages of 2, following next_before, list every request once,
# in the order of one unpaged list; subscribers the same.
page_all() {  # page_all PATH FIELD: every id, page by page
	local cur="" ids="" n
	for n in $(seq 100); do
		unix_code "$1?limit=2${cur:+&before=$cur}" >/dev/null
		ids="$($PY -c 'import json,sys; print(" ".join(r["id"] for r in json.load(open(sys.argv[1]))[sys.argv[2]]))' "$TMP/body" "$2") $ids"
		cur=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1])).get("next_before",""))' "$TMP/body")
		[ -n "$cur" ] || break
	done
	echo $ids
}
for l in requests:/v1/ra/requests subscribers:/v1/ra/subscribers; do
	unix_code "${l#*:}?limit=1000" >/dev/null
	ALL=$($PY -c 'import json,sys; print(" ".join(r["id"] for r in json.load(open(sys.argv[1]))[sys.argv[2]]))' "$TMP/body" "${l%%:*}")
	check "more than two ${l%%:*} to page through" test "$(wc -w <<<"$ALL")" -gt 2
	eq "pages of 2 list every one of the ${l%%:*} once, in order" "$ALL" "$(page_all "${l#*:}" "${l%%:*}")"
done
eq "the last page has no next_before" "" \
	"$(unix_code "/v1/ra/requests?limit=1000" >/dev/null; $PY -c 'import json,sys; print(json.load(open(sys.argv[1])).get("next_before",""))' "$TMP/body")"
finish
