#!/usr/bin/env bash
# Activation and authorisation of subscribers' signatures: an individual
# signs with a passphrase (wrong ones lock, a verifier unlocks, change and
# reset), a seal seals with a seal code bound to N documents that an
# activation code emailed to its officer buys (N succeed, the N+1th, an
# expired code or a revoked activation is refused, also under concurrent
# requests). Emails are read from the demo instance's maildir.
. "$(dirname "$0")/lib.sh"
esd_init
printf 'argon2_memlimit_kib = 32768\n' >>"$D/esignd.conf"
esd_start
CTL="$ESIGNCTL -c $D/esignd.conf"
PY=/usr/bin/python3
PDF="$CORPUS/xref-table.pdf"
# mail_code ADDR N: the activation code of the N-th email to ADDR with one.
mail_code() {
	for _ in $(seq 100); do
		local c
		c=$(grep -l "^To: $1" "$D"/mail/new/* 2>/dev/null | xargs -r ls -tr | \
			xargs -r grep -h -i -o 'ode[ a-z]*: *[A-Z0-9]\{5\}-[A-Z0-9]\{5\}' | \
			sed -n "${2}p" | grep -o '[A-Z0-9]\{5\}-[A-Z0-9]\{5\}')
		[ -n "$c" ] && { echo "$c"; return; }
		sleep 0.1
	done
}
esd_verifiers
$CTL --json client add --name app --role client >"$TMP/app.json"
jget "$TMP/app.json" token >"$TMP/app.tok"
APP=(-H "Authorization: Bearer $(cat "$TMP/app.tok")")
sign() { # sign FIELDS... -> HTTP status, PDF in $TMP/body
	https_code /v1/sign "${APP[@]}" -F "file=@$PDF" "$@"
}

# An individual: registered, approved, activated with a passphrase.
$VA --json user register --name "Siti Rahma" --nik 3171000000000002 \
	--email siti@agency.go.id --unit Keuangan --org "Kementerian Contoh" >"$TMP/ind.json"
IND=$(jget "$TMP/ind.json" subscriber.id)
$VB request approve --id "$(jget "$TMP/ind.json" request.id)" >/dev/null
CODE=$(mail_code siti@agency.go.id 1)
printf 'kopi susu gula aren 2026\n' >"$TMP/p1"
check "the individual activates with the emailed code" $CTL user activate \
	--subscriber "$IND" --code "$CODE" --passphrase-file "$TMP/p1"
P1=$(cat "$TMP/p1")
eq "POST /v1/sign with the passphrase is 200" 200 "$(sign -F "key=$IND" -F "passphrase=$P1")"
cp "$TMP/body" "$TMP/signed.pdf"
eq "a verifier's credential does not sign for a person, even with the passphrase: 403" "403 forbidden" \
	"$(https_code /v1/sign -H "Authorization: Bearer $(cat "$TMP/va.tok")" -F "file=@$PDF" -F "key=$IND" \
	-F "passphrase=$P1") $(json_err)"
check "pdfsig: the signature is valid and names the signer" bash -c \
	"pdfsig '$TMP/signed.pdf' | grep -q 'Signature Validation: Signature is Valid' && \
	pdfsig '$TMP/signed.pdf' | grep -q 'Siti Rahma'"
check "qpdf --check" qpdf --check "$TMP/signed.pdf"
eq "without the passphrase: 401" 401 "$(sign -F "key=$IND")"
eq "an unauthenticated caller: 401" 401 "$(https_code /v1/sign -F "file=@$PDF" -F "key=$IND" -F "passphrase=$P1")"
S0=$(state_sum)
for i in 1 2 3 4; do
	eq "wrong passphrase $i: 401" 401 "$(sign -F "key=$IND" -F "passphrase=wrong guess $i")"
done
check "each wrong passphrase changed the store (counted, audited)" test "$S0" != "$(state_sum)"
eq "the 5th wrong passphrase: 401" 401 "$(sign -F "key=$IND" -F "passphrase=wrong guess 5")"
eq "now even the right one is refused: 403" 403 "$(sign -F "key=$IND" -F "passphrase=$P1")"
eq "... with code 'locked'" locked "$(json_err)"
check "the refusals are in the audit log" bash -c "[ \$($CTL audit export | grep -c 'auth.passphrase') -eq 5 ]"
eq "an app may not unlock: exit 1" 1 "$($CTL --token-file "$TMP/app.tok" subscriber unlock --id "$IND" >/dev/null 2>&1; echo $?)"
check "a verifier unlocks" $VB subscriber unlock --id "$IND"
eq "the right passphrase works again" 200 "$(sign -F "key=$IND" -F "passphrase=$P1")"
printf 'teh manis dingin 2027\n' >"$TMP/p2"
check "the subscriber changes the passphrase" $CTL user passphrase --subscriber "$IND" \
	--passphrase-file "$TMP/p1" --new-passphrase-file "$TMP/p2"
eq "the old one is refused" 401 "$(sign -F "key=$IND" -F "passphrase=$P1")"
eq "the new one signs" 200 "$(sign -F "key=$IND" -F "passphrase=$(cat "$TMP/p2")")"
SER=$($VA --json subscriber show --id "$IND" | $PY -c 'import json,sys; print(json.load(sys.stdin)["serial"])')
check "a verifier resets the passphrase" $VB subscriber reset --id "$IND"
eq "the current one stops at once: 403" 403 "$(sign -F "key=$IND" -F "passphrase=$(cat "$TMP/p2")")"
CODE2=$(mail_code siti@agency.go.id 2)
check "a new activation code was emailed" test -n "$CODE2" -a "$CODE2" != "$CODE"
printf 'es campur kelapa muda\n' >"$TMP/p3"
check "the subscriber sets a new passphrase with it" $CTL user activate \
	--subscriber "$IND" --code "$CODE2" --passphrase-file "$TMP/p3"
eq "... which signs" 200 "$(sign -F "key=$IND" -F "passphrase=$(cat "$TMP/p3")")"
eq "with the same key and certificate" "$SER" \
	"$($VA --json subscriber show --id "$IND" | $PY -c 'import json,sys; print(json.load(sys.stdin)["serial"])')"
eq "the reset code works once" 401 "$(https_code /v1/ra/activate -d \
	"{\"subscriber\":\"$IND\",\"code\":\"$CODE2\",\"passphrase\":\"another long one\"}")"

# A one-time code for one document instead of the passphrase.
check "esignctl user otp: a code for 1 document is emailed" $VA user otp --id "$IND" --documents 1
OTP=""
for _ in $(seq 100); do
	OTP=$(grep -l '^To: siti@agency.go.id' "$D"/mail/new/* | xargs -r grep -h -o '[CK]ode: [A-Z0-9]\{5\}-[A-Z0-9]\{5\}' | head -1 | cut -d' ' -f2)
	[ -n "$OTP" ] && break
	sleep 0.1
done
eq "POST /v1/sign with the one-time code: 200" 200 "$(sign -F "key=$IND" -F "otp=$OTP")"
eq "the code works for one document only: 401" 401 "$(sign -F "key=$IND" -F "otp=$OTP")"

# A batch authorisation: one passphrase check for a list of digests.
D1=$(printf one | sha256sum | cut -d' ' -f1)
D2=$(printf two | sha256sum | cut -d' ' -f1)
D3=$(printf three | sha256sum | cut -d' ' -f1)
eq "POST /v1/ra/subscribers/{id}/authorize for 2 digests: 200" 200 "$(https_code "/v1/ra/subscribers/$IND/authorize" \
	"${APP[@]}" -d "{\"passphrase\":\"$(cat "$TMP/p3")\",\"digests\":[\"$D1\",\"$D2\"]}")"
SAD=$(jget "$TMP/body" sad)
hsign() { https_code /v1/sign/hash "${APP[@]}" -d "{\"digest\":\"$1\",\"key\":\"$IND\",\"sad\":\"$SAD\"}"; }
eq "the first digest signs with it" 200 "$(hsign "$D1")"
jget "$TMP/body" cms | base64 -d >"$TMP/batch.cms"
check "... a CMS (openssl cms -cmsout)" openssl cms -cmsout -inform DER -in "$TMP/batch.cms" -noout
eq "the second too" 200 "$(hsign "$D2")"
eq "a digest it does not list: 401" 401 "$(hsign "$D3")"
eq "a listed digest a second time: 401" 401 "$(hsign "$D1")"
eq "a wrong passphrase authorises nothing: 401" 401 "$(https_code "/v1/ra/subscribers/$IND/authorize" \
	"${APP[@]}" -d "{\"passphrase\":\"wrong one here\",\"digests\":[\"$D3\"]}")"
$VB subscriber unlock --id "$IND" >/dev/null 2>&1 || true

# A seal: activated by email, sealing with seal codes.
$VA --json seal register --name "Sistem Naskah Dinas" --org "Kementerian Contoh" \
	--email officer@agency.go.id --letter "$PDF" >"$TMP/seal.json"
SEAL=$(jget "$TMP/seal.json" subscriber.id)
$VB request approve --id "$(jget "$TMP/seal.json" request.id)" >/dev/null
$CTL --json client add --name sealer --role client --key "$SEAL" >"$TMP/sealer.json"
jget "$TMP/sealer.json" token >"$TMP/sealer.tok"
SEALER="$CTL --token-file $TMP/sealer.tok"
SH=(-H "Authorization: Bearer $(cat "$TMP/sealer.tok")")
seal() { https_code /v1/seal "${SH[@]}" -F "file=@$PDF" -F "key=$SEAL" "$@"; }
eq "sealing without a seal code: 401" 401 "$(seal)"
eq "a client not granted the seal may not seal: 403" 403 \
	"$(https_code /v1/seal "${APP[@]}" -F "file=@$PDF" -F "key=$SEAL" -F seal_code=x)"
eq "... nor ask for its activation: exit 1" 1 "$($CTL --token-file "$TMP/app.tok" seal activate --id "$SEAL" >/dev/null 2>&1; echo $?)"
check "the granted application asks for the activation" $SEALER seal activate --id "$SEAL"
AC=$(mail_code officer@agency.go.id 1)
check "the activation code is emailed to the officer" test -n "$AC"
SC=$($SEALER seal code --id "$SEAL" --activation-code "$AC" --documents 3)
check "it buys a seal code for 3 documents" test ${#SC} -eq 32
for i in 1 2 3; do
	eq "seal $i of 3: 200" 200 "$(seal -F "seal_code=$SC")"
done
cp "$TMP/body" "$TMP/sealed.pdf"
check "pdfsig: the seal is valid" bash -c "pdfsig '$TMP/sealed.pdf' | grep -q 'Signature is Valid'"
eq "the 4th document is refused: 401" 401 "$(seal -F "seal_code=$SC")"
SC1=$($SEALER seal code --id "$SEAL" --activation-code "$AC" --documents 5 --seconds 1)
sleep 2
eq "an expired seal code is refused: 401" 401 "$(seal -F "seal_code=$SC1")"
# Concurrency: 12 requests at once against a code for 5 documents.
SC5=$($SEALER seal code --id "$SEAL" --activation-code "$AC" --documents 5)
seq 12 | xargs -P 12 -I{} curl -s -o /dev/null -w '%{http_code}\n' --cacert "$D/ca.pem" \
	"${SH[@]}" -F "file=@$PDF" -F "key=$SEAL" -F "seal_code=$SC5" "$URL/v1/seal" >"$TMP/par"
eq "12 concurrent seals with a 5-document code: exactly 5 succeed" 5 "$(grep -c '^200$' "$TMP/par")"
eq "... and 7 are refused with 401" 7 "$(grep -c '^401$' "$TMP/par")"
SC6=$($SEALER seal code --id "$SEAL" --activation-code "$AC" --documents 5)
check "the officer's application revokes the activation" $SEALER seal deactivate --id "$SEAL"
eq "a code of the revoked activation is refused at once" 401 "$(seal -F "seal_code=$SC6")"
eq "the old activation code buys nothing: exit 1" 1 \
	"$($SEALER seal code --id "$SEAL" --activation-code "$AC" --documents 1 >/dev/null 2>&1; echo $?)"
check "a new activation" $SEALER seal activate --id "$SEAL"
AC2=$(mail_code officer@agency.go.id 2)
for i in 1 2 3 4 5; do
	$SEALER seal code --id "$SEAL" --activation-code AAAAA-AAAAA --documents 1 >/dev/null 2>&1
done
eq "after 5 wrong activation codes the right one is refused (locked)" 1 \
	"$($SEALER seal code --id "$SEAL" --activation-code "$AC2" --documents 1 >"$TMP/out" 2>&1; echo $?)"
check "... saying so" grep -q "locked" "$TMP/out"
check "a verifier unlocks the seal" $VB subscriber unlock --id "$SEAL"
SC7=$($SEALER seal code --id "$SEAL" --activation-code "$AC2" --documents 1)
eq "then the right code works" 200 "$(seal -F "seal_code=$SC7")"

# A seal code is its own seal's: a second, activated seal's application
# cannot spend the first seal's code.
$VA --json seal register --name "Sistem Arsip" --org "Kementerian Contoh" \
	--email arsip@agency.go.id --letter "$PDF" >"$TMP/seal2.json"
SEAL2=$(jget "$TMP/seal2.json" subscriber.id)
$VB request approve --id "$(jget "$TMP/seal2.json" request.id)" >/dev/null
$CTL --json client add --name sealer2 --role client --key "$SEAL2" >"$TMP/sealer2.json"
jget "$TMP/sealer2.json" token >"$TMP/sealer2.tok"
check "the second seal's application asks for its activation" \
	$CTL --token-file "$TMP/sealer2.tok" seal activate --id "$SEAL2"
SC8=$($SEALER seal code --id "$SEAL" --activation-code "$AC2" --documents 1)
eq "the first seal's code does not seal with the second seal's key: 401" 401 \
	"$(https_code /v1/seal -H "Authorization: Bearer $(cat "$TMP/sealer2.tok")" \
	-F "file=@$PDF" -F "key=$SEAL2" -F "seal_code=$SC8")"
check "... audited as refused" bash -c "$CTL audit export | tail -n 3 | grep $SEAL2 | grep -q authorization_failed"
eq "... and not spent: it still seals for its own seal" 200 "$(seal -F "seal_code=$SC8")"
eq "a bad 'documents' is 400" 400 "$(https_code "/v1/ra/seals/$SEAL/codes" "${SH[@]}" \
	-d "{\"activation_code\":\"$AC2\",\"documents\":\"0\"}")"
eq "hash signing takes the seal code too" 200 "$(https_code /v1/seal/hash "${SH[@]}" -d \
	"{\"digest\":\"$(printf x | sha256sum | cut -d' ' -f1)\",\"key\":\"$SEAL\",\"seal_code\":\"$($SEALER seal code --id "$SEAL" --activation-code "$AC2" --documents 1)\"}")"

# An interactive officer: an authenticator app instead of the email.
# Only the seal's officer enrols one; every seal code, whichever proof
# buys it, belongs to the live activation.
SA=$(state_sum)
eq "the application granted the seal may not enrol an authenticator: 403" "403 forbidden" \
	"$(https_code "/v1/ra/seals/$SEAL/totp" "${SH[@]}" -X POST -d '{}') $(json_err)"
eq "... nor a verifier" "403 forbidden" "$(https_code "/v1/ra/seals/$SEAL/totp" \
	-H "Authorization: Bearer $(cat "$TMP/vb.tok")" -X POST -d '{}') $(json_err)"
eq "... nor the admin" "403 forbidden" "$(unix_code "/v1/ra/seals/$SEAL/totp" -X POST -d '{}') $(json_err)"
eq "a verifier may not mint a seal code with the emailed code either: 403" "403 forbidden" \
	"$(https_code "/v1/ra/seals/$SEAL/codes" -H "Authorization: Bearer $(cat "$TMP/vb.tok")" \
	-d "{\"activation_code\":\"$AC2\",\"documents\":\"1\"}") $(json_err)"
eq "... nor ask for an activation" "403 forbidden" "$(https_code "/v1/ra/seals/$SEAL/activation" \
	-H "Authorization: Bearer $(cat "$TMP/vb.tok")" -X POST -d '{}') $(json_err)"
eq "the application may not mint by TOTP: 403" "403 forbidden" "$(https_code "/v1/ra/seals/$SEAL/codes" "${SH[@]}" \
	-d '{"totp":"123456","documents":"1"}') $(json_err)"
eq "... and none of that wrote anything" "$SA" "$(state_sum)"
$CTL user create --name tono --email tono@agency.go.id --role officer --seal "$SEAL" --lang en >/dev/null
for _ in $(seq 100); do grep -q -l '^To: tono@agency.go.id' "$D"/mail/new/* 2>/dev/null && break; sleep 0.1; done
OINIT=$(grep -l '^To: tono@agency.go.id' "$D"/mail/new/* | head -1 | xargs sed -n 's/.*Initial password: *\([A-Z0-9-]*\).*/\1/p' | tr -d '\r')
OPW='kopi tubruk manis 45'
eq "the officer's first login enrols their own authenticator" 200 "$(https_code /v1/login \
	-d "{\"name\":\"tono\",\"password\":\"$OINIT\",\"new_password\":\"$OPW\"}")"
OSECRET=$(jget "$TMP/body" totp.secret)
printf '%s\n' "$OPW" >"$TMP/opw"
totp OT "$OSECRET"
$CTL --json user login --name tono --password-file "$TMP/opw" --totp "$OT" \
	| python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])' >"$TMP/otok"
OFF="$CTL --token-file $TMP/otok"
$OFF --json seal totp --id "$SEAL" >"$TMP/totp.json"
URI=$(jget "$TMP/totp.json" uri)
SECRET=$(jget "$TMP/totp.json" secret)
check "the officer enrols the seal's authenticator: an otpauth:// URI (SHA1, 6 digits, 30 s)" bash -c \
	"echo '$URI' | grep -q '^otpauth://totp/esignd:$SEAL?secret=$SECRET&issuer=esignd&algorithm=SHA1&digits=6&period=30$'"
jget "$TMP/totp.json" qr_png | base64 -d >"$TMP/totp.png"
eq "its QR code (PNG) reads back as the URI (zbarimg)" "QR-Code:$URI" "$(zbarimg -q "$TMP/totp.png" 2>/dev/null)"
totp TOTP "$SECRET"
SCT=$($OFF seal code --id "$SEAL" --totp "$TOTP" --documents 2)
check "an oathtool code buys the officer a seal code" test ${#SCT} -eq 32
eq "... which the application seals with" 200 "$(seal -F "seal_code=$SCT")"
eq "the same authenticator code twice is refused" 1 \
	"$($OFF seal code --id "$SEAL" --totp "$TOTP" --documents 1 >/dev/null 2>&1; echo $?)"
# Outside the window of one step either side of now, and not a replay:
# a code 3 steps ahead (the earlier ones are below the last step used).
AHEAD=$(oathtool --totp -b "$SECRET" -N "@$(( ($(date +%s) / 30 + 3) * 30 ))")
eq "a code from 3 steps ahead is refused" 1 \
	"$($OFF seal code --id "$SEAL" --totp "$AHEAD" --documents 1 >/dev/null 2>&1; echo $?)"
eq "both an activation code and a TOTP is 400" 400 "$(https_code "/v1/ra/seals/$SEAL/codes" "${SH[@]}" \
	-d "{\"activation_code\":\"$AC2\",\"totp\":\"123456\",\"documents\":\"1\"}")"
check "the encryption key is an AES key in the token, never extractable" bash -c \
	"pkcs11-tool --module $P11MOD --login --pin \$(cat $D/pin) --list-objects --type secrkey 2>/dev/null | \
	grep -A10 'label: *esignd-secrets' | grep -q 'never extractable'"
check "the TOTP secret is stored encrypted (not in base32 or hex)" bash -c \
	"! store_dump | grep -q -i -e '$SECRET' -e \"\$(echo '$SECRET' | base32 -d 2>/dev/null | xxd -p)\""
check "the application revokes the activation" $SEALER seal deactivate --id "$SEAL"
eq "a seal code bought by TOTP is then refused" 401 "$(seal -F "seal_code=$SCT")"
totp T2 "$SECRET"
eq "a deactivated seal mints nothing, even for its officer's authenticator: 401" "401 authorization_failed" \
	"$(https_code "/v1/ra/seals/$SEAL/codes" -H "Authorization: Bearer $(cat "$TMP/otok")" \
	-d "{\"totp\":\"$T2\",\"documents\":\"1\"}") $(json_err)"
eq "... nor with the old emailed code: 401" "401 authorization_failed" \
	"$(https_code "/v1/ra/seals/$SEAL/codes" "${SH[@]}" -d "{\"activation_code\":\"$AC2\",\"documents\":\"1\"}") $(json_err)"
eq "after the deactivation the application enrols no authenticator of its own: 403" 403 \
	"$(https_code "/v1/ra/seals/$SEAL/totp" "${SH[@]}" -X POST -d '{}')"
ASEC=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1])).get("secret",""))' "$TMP/body" 2>/dev/null)
eq "... and mints nothing for the deactivated seal with an authenticator code: 403" 403 \
	"$(https_code "/v1/ra/seals/$SEAL/codes" "${SH[@]}" \
	-d "{\"totp\":\"$( [ -n "$ASEC" ] && oathtool --totp -b "$ASEC" || echo 123456)\",\"documents\":\"10000\"}")"
eq "the officer's enrolment outlives the activation (a second enrolment replaces it): 201" 201 \
	"$(https_code "/v1/ra/seals/$SEAL/totp" -H "Authorization: Bearer $(cat "$TMP/otok")" -X POST -d '{}')"
eq "the admin removes an enrolment: 200" 200 "$(unix_code "/v1/ra/seals/$SEAL/totp" -X DELETE)"
eq "... once: 409" 409 "$(unix_code "/v1/ra/seals/$SEAL/totp" -X DELETE)"
eq "... the officer may not: 403" 403 "$(https_code "/v1/ra/seals/$SEAL/totp" -H "Authorization: Bearer $(cat "$TMP/otok")" -X DELETE)"
check "the removal is audited" bash -c "$CTL audit export | grep -q 'seal.totp.reset'"

# A certificate revoked directly (POST /v1/certs/SERIAL/revoke) takes its
# subscriber along, in the same transaction.
$OFF seal activate --id "$SEAL" >/dev/null
SSER=$($VA --json subscriber show --id "$SEAL" | $PY -c 'import json,sys; print(json.load(sys.stdin)["serial"])')
check "the admin revokes the seal's only certificate" $CTL cert revoke --serial "$SSER" --reason keyCompromise
eq "the seal is revoked with it" revoked \
	"$($VA --json subscriber show --id "$SEAL" | $PY -c 'import json,sys; print(json.load(sys.stdin)["status"])')"
eq "... its activation is gone: a new one is refused (409)" 409 "$(https_code "/v1/ra/seals/$SEAL/activation" \
	-H "Authorization: Bearer $(cat "$TMP/otok")" -X POST -d '{}')"
eq "... as is an enrolment (409)" 409 "$(https_code "/v1/ra/seals/$SEAL/totp" \
	-H "Authorization: Bearer $(cat "$TMP/otok")" -X POST -d '{}')"
check "... audited as subscriber.revoke" bash -c "$CTL audit export | grep -q '\"action\":\"subscriber.revoke\"'"

# Secrets at rest and in the logs.
check "no passphrase, activation code or seal code in the store" bash -c \
	"! store_dump | grep -q -e 'kopi susu' -e 'teh manis' -e '$AC2' -e '$SC7' -e '$CODE2' -e '$SCT'"
check "... nor in the daemon log" bash -c \
	"! grep -q -e 'kopi susu' -e '$AC2' -e '$SC7' -e '$CODE2' -e '$SECRET' '$TMP/daemon.log'"
check "passphrases are Argon2id with the configured memory (m=32768)" bash -c \
	"store_dump | grep -q 'argon2id.v=19.m=32768,'"
check "strings over the store's files finds no PIN, passphrase, TOTP secret or code" bash -c \
	"! store_strings | grep -q -e '$(cat "$D/pin")' -e 'kopi susu' -e 'es campur' -e '$SECRET' -e '$AC2' -e '$SC7'"
check "... nor over the daemon log" bash -c \
	"! strings '$TMP/daemon.log' | grep -q -e '$(cat "$D/pin")' -e 'kopi susu' -e 'es campur' -e '$SECRET'"
check "audit verify" bash -c "$CTL --json audit verify | grep -q '\"ok\": true'"
check "the seal codes' uses are audited" bash -c "$CTL audit export | grep -q 'seal.code' && \
	$CTL audit export | grep -q 'seal.deactivate'"
finish
