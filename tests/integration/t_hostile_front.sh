#!/usr/bin/env bash
# A compromised front cannot make the keeper sign what the caller did not
# authorise: tests/tools/hostile_front runs the real keeper on this
# instance's token and LMDB and sends it forged MSG_DOC_SIGN frames
# (another document's messageDigest, another key's certificate, extra,
# missing or doubled attributes, non-DER, the [0] form, a raw digest,
# truncated and replayed frames). Each is refused with its stable code,
# audited once as refused, and nothing is signed; honest frames are signed
# and the signatures verify.
. "$(dirname "$0")/lib.sh"
esd_init
esd_start
CTL="$ESIGNCTL -c $D/esignd.conf"
esd_verifiers
# mail_code ADDR: the activation code emailed to ADDR.
code_for() {
	for _ in $(seq 100); do
		local c
		c=$(grep -l "^To: $1" "$D"/mail/new/* 2>/dev/null | xargs -r \
			grep -h -i -o 'ode[ a-z]*: *[A-Z0-9]\{5\}-[A-Z0-9]\{5\}' | head -1 | \
			grep -o '[A-Z0-9]\{5\}-[A-Z0-9]\{5\}')
		[ -n "$c" ] && { echo "$c"; return; }
		sleep 0.1
	done
}
# An individual with a passphrase, and a batch authorisation (SAD) of
# one digest, D1.
$VA --json user register --name "Dewi Lestari" --nik 3171000000000003 \
	--email dewi@agency.go.id --unit Hukum --org "Kementerian Contoh" >"$TMP/ind.json"
IND=$(jget "$TMP/ind.json" subscriber.id)
$VB request approve --id "$(jget "$TMP/ind.json" request.id)" >/dev/null
printf 'nasi goreng kampung 2026\n' >"$TMP/p"
check "the individual activates with a passphrase" $CTL user activate \
	--subscriber "$IND" --code "$(code_for dewi@agency.go.id)" --passphrase-file "$TMP/p"
D1=$(printf 'the one document authorised' | sha256sum | cut -d' ' -f1)
eq "a SAD for D1 only" 200 "$(https_code "/v1/ra/subscribers/$IND/authorize" \
	-H "Authorization: Bearer $TOKEN" \
	-d "{\"passphrase\":\"$(cat "$TMP/p")\",\"digests\":[\"$D1\"]}")"
SAD=$(jget "$TMP/body" sad)
esd_stop

# The keeper alone, with the hostile front in front of it.
"$BUILD/tests/tools/hostile_front" "$D/esignd.conf" "$D/admin.token" "$IND" \
	"$SAD" "$D1" >"$TMP/hostile.out" 2>>"$TMP/daemon.log"
rc=$?
cat "$TMP/hostile.out"
PASS=$((PASS + $(grep -c '^ok - ' "$TMP/hostile.out")))
FAIL=$((FAIL + $(grep -c '^not ok - ' "$TMP/hostile.out")))
eq "hostile_front exits 0" 0 "$rc"
check "the keeper logged each refusal" grep -q "doc.sign for key 'demo-seal' refused: the message-digest" "$TMP/daemon.log"
finish
