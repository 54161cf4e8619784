#!/usr/bin/env bash
# POST /v1/verify against an attack corpus (tests/integration/attacks.py)
# built from seals this test makes: incremental saving, signature
# wrapping, universal signature forgery, shadow hide / replace /
# hide-and-replace, /ByteRange and /Contents forgeries, broken and
# untrusted signatures. Each file has an expected answer; no attack may be
# valid, no answer may be a 5xx or take long, genuine B-B..B-LTA seals are
# TOTAL_PASSED without warnings. pdfsig's answer is printed beside ours.
. "$(dirname "$0")/lib.sh"
GEN="$(dirname "$0")/attacks.py"
TOOL=${PDFSIGN_TOOL:-$BUILD/tests/pdf/pdfsign_tool}
esd_init
esd_start
AUTH="Authorization: Bearer $TOKEN"
S=$TMP/seals
A=$TMP/attacks
mkdir -p "$S" "$A"

seal() { # seal IN OUT [curl -F args...] -> HTTP status
	local in=$1 outf=$2
	shift 2
	curl -s -o "$outf" -w '%{http_code}' --cacert "$D/ca.pem" -H "$AUTH" \
		-F "file=@$in;type=application/pdf" -F reason=Approved \
		-F location=Jakarta "$@" "$URL/v1/seal"
}
verify() { # verify FILE -> HTTP status; the answer in $TMP/body
	curl -s -o "$TMP/body" -w '%{http_code}' --max-time 30 --cacert "$D/ca.pem" \
		-F "file=@$1;type=application/pdf" "$URL/v1/verify"
}
# the document verdict and, per signature, verdict/failure
answer() {
	python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
print(j["verdict"], " ".join("%s/%s" % (s["verdict"], s.get("failure") or "-")
                             for s in j["signatures"]))' "$TMP/body"
}
# pdfsig's answer: per signature its validation line, shortened
pdfsig_says() {
	pdfsig "$1" 2>&1 | sed -n 's/.*Signature Validation: //p; s/.*\(Total document signed\|Not total document signed\).*/\1/p' |
		tr '\n' ';' | sed 's/;$//'
}

BASE=$CORPUS/libreoffice-letter.pdf
eq "B-B seal (200)" 200 "$(seal "$BASE" "$S/bb.pdf")"
eq "visible B-B seal (200)" 200 "$(seal "$BASE" "$S/vis.pdf" -F 'visible={"page":1,"rect":[50,60,250,130]}')"
eq "B-T seal (200)" 200 "$(seal "$BASE" "$S/bt.pdf" -F level=B-T)"
eq "B-LT seal (200)" 200 "$(seal "$BASE" "$S/lt.pdf" -F level=B-LT)"
eq "B-LTA seal (200)" 200 "$(seal "$BASE" "$S/lta.pdf" -F level=B-LTA)"
python3 "$GEN" prepare "$BASE" "$TMP"
eq "B-B seal of the document with a form field (200)" 200 "$(seal "$TMP/form.pdf" "$S/form.pdf")"
eq "B-B seal of the document carrying a shadow (200)" 200 "$(seal "$TMP/shadow.pdf" "$S/shadow.pdf")"
cp "$TMP/shadow.info" "$S/"
for p in 1 2 3; do
	eq "certification seal P=$p of the form (200)" 200 "$(seal "$TMP/form.pdf" "$S/cert$p.pdf" -F certify=$p)"
done
eq "certification seal P=1 at B-LTA (200)" 200 "$(seal "$BASE" "$S/certlta.pdf" -F certify=1 -F level=B-LTA)"
if [ -x "$TOOL" ]; then
	openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 2 \
		-subj "/O=esignd tests/CN=attacker" \
		-keyout "$TMP/key.pem" -out "$TMP/cert.pem" >/dev/null 2>&1
	"$TOOL" sign "$TMP/key.pem" "$TMP/cert.pem" "$BASE" "$S/untrusted.pdf" >/dev/null 2>&1 ||
		not_ok "pdfsign_tool signs with a key of its own"
fi

# --- genuine seals: TOTAL_PASSED, no warning, the LTV note ------------------
for f in bb vis bt lt lta form shadow cert1 cert2 cert3 certlta; do
	eq "$f: 200" 200 "$(verify "$S/$f.pdf")"
	check "$f: valid, TOTAL_PASSED" grep -q '^{"verdict":"valid","indication":"TOTAL_PASSED"' "$TMP/body"
	check "$f: no warning at all" bash -c "! grep -q '\"warnings\":\[\"' '$TMP/body'"
done
verify "$S/lta.pdf" >/dev/null
check "lta: the seal says validation data was added, content unchanged" \
	grep -q '"summary":"validation data and timestamps were added after signing; the signed content is unchanged"' "$TMP/body"
check "lta: every chain's revocation (signer, both TSAs) known from the /DSS" bash -c \
	"[ \$(grep -o '\"revocation\":\"good\"' '$TMP/body' | wc -l) -eq 3 ] && ! grep -q '\"revocation\":\"unknown\"' '$TMP/body'"
check "lta: levels B-LTA and document timestamp" \
	grep -q '"pades_level":"B-LTA","verdict":"valid"' "$TMP/body"

# --- certification seals (DocMDP) ---------------------------------------------
verify "$S/bb.pdf" >/dev/null
check "bb: the default seal is an approval signature (certification null)" \
	grep -q '"certification":null' "$TMP/body"
for p in 1 2 3; do
	verify "$S/cert$p.pdf" >/dev/null
	check "cert$p: certification with DocMDP P=$p, named in the catalog" \
		grep -q "\"certification\":{\"docmdp_p\":$p,\"permits\":\"[a-z_]*\",\"in_catalog\":true}" "$TMP/body"
	check "cert$p: qpdf --check" qpdf --check "$S/cert$p.pdf"
	check "cert$p: /Perms /DocMDP in the catalog, /Reference /DocMDP with /P $p (qpdf)" bash -c \
		"qpdf --json=2 --json-key=qpdf '$S/cert$p.pdf' | grep -q '\"/Perms\": {' &&
		 qpdf --json=2 --json-key=qpdf '$S/cert$p.pdf' | tr -d ' \n' | grep -q '\"/TransformMethod\":\"/DocMDP\",\"/TransformParams\":{\"/P\":$p,'"
	check "cert$p: pdfsig calls it valid" bash -c "pdfsig '$S/cert$p.pdf' | grep -q 'Signature is Valid'"
	echo "# cert$p | pdfsig: $(pdfsig "$S/cert$p.pdf" 2>&1 | grep -i 'certif\|Signature Type\|Validation' | tr '\n' ';')"
done
verify "$S/certlta.pdf" >/dev/null
check "certlta: P=1 allows the /DSS and the document timestamp (B-LTA)" \
	grep -q '"pades_level":"B-LTA","verdict":"valid"' "$TMP/body"
eq "a certification seal on a signed document: 409 already_signed" "409" \
	"$(seal "$S/bb.pdf" "$TMP/certsigned.out" -F certify=2)"
check "... the message says a certification signature comes first" \
	grep -q '"code":"already_signed".*first signature' "$TMP/certsigned.out"
eq "certify=4: 400" "400" "$(seal "$BASE" "$TMP/cert4.out" -F certify=4)"
check "... bad_request naming the values" grep -q '"code":"bad_request".*must be 1' "$TMP/cert4.out"
if [ -x "$TOOL" ]; then
	out=$("$TOOL" sign "$TMP/key.pem" "$TMP/cert.pem" "$S/cert1.pdf" "$TMP/after-p1.pdf" 2>&1)
	check "a signature after P=1 is refused by our own signer (certified)" grep -q 'refused: certified' <<<"$out"
	"$TOOL" sign "$TMP/key.pem" "$TMP/cert.pem" "$S/cert2.pdf" "$TMP/after-p2.pdf" >/dev/null 2>&1 ||
		not_ok "pdfsign_tool signs after P=2"
	verify "$TMP/after-p2.pdf" >/dev/null
	eq "P=2 then a second signature: the certification stays valid" \
		"indeterminate valid/- indeterminate/untrusted_signer" "$(answer)"
fi

# --- the attack corpus ---------------------------------------------------------
python3 "$GEN" build "$S" "$A"
n=0
while IFS=$'\t' read -r name want sigs what; do
	n=$((n + 1))
	f=$A/$name.pdf
	code=$(verify "$f")
	got=$(answer 2>/dev/null)
	eq "$name ($what): HTTP 200" 200 "$code"
	eq "$name: $want ($sigs)" "$want $sigs" "$got"
	case "$name" in genuine-*|identical-*|nested-50-identical|*-permitted) ;;
	*) check "$name: not rated valid" bash -c "! grep -q '^{\"verdict\":\"valid\"' '$TMP/body'" ;;
	esac
	echo "# $name | ours: $got | pdfsig: $(pdfsig_says "$f")"
done <"$A/expected.tsv"
check "at least 30 attack files" test "$n" -ge 30
# ATTACKS_OUT=DIR keeps the corpus (fuzzing seeds, a look with other tools)
if [ -n "${ATTACKS_OUT:-}" ]; then mkdir -p "$ATTACKS_OUT" && cp "$A"/* "$S"/*.pdf "$ATTACKS_OUT"/; fi

# the forged metadata of a re-declared signature dictionary is not shown
verify "$A/sigdict-redeclared.pdf" >/dev/null
check "sigdict-redeclared: /Reason is the signed one" grep -q '"reason":"Approved"' "$TMP/body"
check "sigdict-redeclared: the forged /Reason is not shown" bash -c "! grep -q 'Forged' '$TMP/body'"
verify "$A/m-malformed.pdf" >/dev/null
check "m-malformed: /M refused (signing_time null, a warning)" bash -c \
	"grep -q '\"signing_time\":null' '$TMP/body' && grep -q '/M is not a PDF date' '$TMP/body'"
verify "$A/isa-replace-stream.pdf" >/dev/null
check "isa-replace-stream: page 1 named as changed" grep -q '"pages":\[1\]' "$TMP/body"
check "isa-replace-stream: TOTAL_FAILED / HASH_FAILURE" \
	grep -q '"indication":"TOTAL_FAILED","sub_indication":"HASH_FAILURE","failure":"modified_after_signing"' "$TMP/body"
verify "$S/bb.pdf" >/dev/null
check "bb: the invisible widget's rect and page" grep -q '"rect":\[0.0,0.0,0.0,0.0\],"page":1,' "$TMP/body"
verify "$A/widget-rect-redeclared.pdf" >/dev/null
check "widget-rect-redeclared: rect and page are the signed revision's" \
	grep -q '"rect":\[50.0,60.0,250.0,130.0\],"page":1,' "$TMP/body"
check "widget-rect-redeclared: the re-declared /Rect is not shown" bash -c "! grep -q '500.0' '$TMP/body'"
verify "$A/sigdict-unparsable.pdf" >/dev/null
check "sigdict-unparsable: the signature is listed (count 1)" grep -q '"signature_count":1' "$TMP/body"
# the TSA's revocation from the /DSS OCSP responses alone
verify "$A/genuine-lta-ocsp-only.pdf" >/dev/null
check "lta without CRLs: signer and both TSAs good (OCSP from the /DSS)" bash -c \
	"[ \$(grep -o '\"revocation\":\"good\"' '$TMP/body' | wc -l) -eq 3 ] && ! grep -q '\"revocation\":\"unknown\"' '$TMP/body'"

# --- revocation after the proof of existence ---------------------------------
# (last: the seal key is revoked here) A B-LTA seal stays valid when its
# certificate is revoked after the signature timestamp; a B-B seal does not.
eq "B-LTA seal before the revocation (200)" 200 "$(seal "$BASE" "$S/poe-lta.pdf" -F level=B-LTA)"
eq "B-B seal before the revocation (200)" 200 "$(seal "$BASE" "$S/poe-bb.pdf")"
# the same B-B seal with a document timestamp of the appliance's TSA over it
# (POST /tsa): a proof of existence although the signature has no timestamp
if [ -x "$TOOL" ]; then
	hex=$("$TOOL" timestamp "$S/poe-bb.pdf")
	openssl ts -query -digest "$hex" -sha256 -cert -out "$TMP/tsq" 2>/dev/null
	curl -s -o "$TMP/tsr" --cacert "$D/ca.pem" -H 'Content-Type: application/timestamp-query' \
		--data-binary @"$TMP/tsq" "$URL/tsa"
	openssl ts -reply -in "$TMP/tsr" -token_out -out "$TMP/tok" 2>/dev/null
	"$TOOL" timestamp --token "$TMP/tok" "$S/poe-bb.pdf" "$S/poe-bb-docts.pdf" >/dev/null 2>&1 ||
		not_ok "pdfsign_tool adds the appliance's document timestamp"
	verify "$S/poe-bb-docts.pdf" >/dev/null
	eq "B-B seal + document timestamp before the revocation: valid" "valid valid/- valid/-" "$(answer)"
fi
sleep 2
$ESIGNCTL -c "$D/esignd.conf" --json cert list >"$TMP/certs.json"
SERIAL=$(tr -d '\n ' <"$TMP/certs.json" | grep -o '{[^{}]*"key":"demo-seal"[^{}]*}' | sed -n 's/.*"serial":"\([0-9a-f]*\)".*/\1/p')
eq "the seal certificate is revoked (200)" 200 "$(unix_code /v1/certs/$SERIAL/revoke -d '{"reason":"superseded"}')"
verify "$S/poe-lta.pdf" >/dev/null
check "B-LTA after revocation: still valid, TOTAL_PASSED" \
	grep -q '^{"verdict":"valid","indication":"TOTAL_PASSED"' "$TMP/body"
check "... the signer's chain says revoked, with its time" \
	grep -q '"revocation":"revoked","revoked_at":"20' "$TMP/body"
check "... the revocation after the timestamp is noted" \
	grep -q 'after the signature timestamp (20[-0-9T:]*Z) proves the signature existed' "$TMP/body"
verify "$S/poe-bb.pdf" >/dev/null
eq "B-B after revocation: indeterminate, REVOKED_NO_POE" \
	"indeterminate indeterminate/signer_revoked" "$(answer)"
check "... REVOKED_NO_POE" grep -q '"sub_indication":"REVOKED_NO_POE"' "$TMP/body"
if [ -x "$TOOL" ]; then
	verify "$S/poe-bb-docts.pdf" >/dev/null
	eq "B-B + document timestamp after revocation: still valid (the document timestamp is the POE)" \
		"valid valid/- valid/-" "$(answer)"
	check "... the revocation after a document timestamp is noted" \
		grep -q 'revoked at 20[-0-9T:]*Z, after a document timestamp (20[-0-9T:]*Z) proves the signature existed' "$TMP/body"
fi
eq "health is still 200" 200 "$(https_code /v1/health)"
finish
