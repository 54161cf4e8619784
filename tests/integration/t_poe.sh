#!/usr/bin/env bash
# Revocation data judged at the time it must prove, and document
# timestamps as proof of existence (docs/verify.md "Revocation data",
# "Proof of existence"). A test CA made with openssl ca (a trust anchor of
# this deployment) issues signers; pdfsign_tool signs with them and adds a
# /DSS of real openssl CRLs and OCSP responses; the document timestamps
# come from the appliance's own TSA (POST /tsa).
#   - a /DSS CRL or OCSP response issued before the signature existed is
#     not counted: INDETERMINATE / TRY_LATER (a fresh one: TOTAL_PASSED);
#   - a signer revoked after a document timestamp stays TOTAL_PASSED, the
#     same file without the document timestamp is REVOKED_NO_POE;
#   - a signer certificate that expired after a document timestamp stays
#     TOTAL_PASSED, without it OUT_OF_BOUNDS_NO_POE.
. "$(dirname "$0")/lib.sh"
TOOL=${PDFSIGN_TOOL:-$BUILD/tests/pdf/pdfsign_tool}
[ -x "$TOOL" ] || { echo "1..0 # SKIP pdfsign_tool not built"; exit 0; }
esd_init
BASE=$CORPUS/libreoffice-letter.pdf
C=$TMP/testca
mkdir -p "$C/new"
: >"$C/index.txt"
echo 1000 >"$C/serial"
echo 1000 >"$C/crlnumber"
cat >"$C/ca.cnf" <<EOF
[ca]
default_ca = tca
[tca]
dir = $C
database = \$dir/index.txt
new_certs_dir = \$dir/new
serial = \$dir/serial
crlnumber = \$dir/crlnumber
certificate = \$dir/ca.pem
private_key = \$dir/ca.key
default_md = sha256
default_days = 30
default_crl_days = 7
policy = any
unique_subject = no
x509_extensions = leaf
[any]
commonName = supplied
organizationName = optional
[leaf]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
[caext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[tsaext]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = critical, timeStamping
[tsa]
default_tsa = tsa1
[tsa1]
dir = $C
serial = \$dir/tsaserial
crypto_device = builtin
signer_cert = \$dir/tsa.pem
signer_key = \$dir/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
accuracy = secs:1
ordering = no
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
[ocsp]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = OCSPSigning
EOF
ts() { date -u -d "@$1" +%Y%m%d%H%M%SZ; } # ts EPOCH -> GeneralizedTime
# the CA valid since two days ago: it was valid when the stale CRL says
# it issued it
openssl req -new -newkey rsa:2048 -nodes -subj "/O=esignd tests/CN=POE Test CA" \
	-keyout "$C/ca.key" -out "$C/ca.csr" >/dev/null 2>&1
openssl ca -batch -selfsign -config "$C/ca.cnf" -keyfile "$C/ca.key" -in "$C/ca.csr" \
	-out "$C/ca.pem" -notext -extensions caext -startdate "$(ts $(($(date +%s) - 172800)))" \
	>/dev/null 2>&1
leaf() { # leaf NAME [openssl ca options]: $C/NAME.key, $C/NAME.pem
	local n=$1
	shift
	openssl req -newkey rsa:2048 -nodes -subj "/O=esignd tests/CN=$n" \
		-keyout "$C/$n.key" -out "$C/$n.csr" >/dev/null 2>&1
	openssl ca -batch -config "$C/ca.cnf" -in "$C/$n.csr" -out "$C/$n.pem" -notext \
		-startdate "$(ts $(($(date +%s) - 86400)))" "$@" >/dev/null 2>&1
}
crl() { # crl OUT [lastUpdate EPOCH]: DER
	openssl ca -gencrl -config "$C/ca.cnf" -out "$C/crl.pem" \
		${2:+-crl_lastupdate "$(ts "$2")"} >/dev/null 2>&1 &&
		openssl crl -in "$C/crl.pem" -outform DER -out "$1"
}
leaf signer
leaf revoked
leaf ocspsigner -extensions ocsp
openssl x509 -in "$C/ca.pem" -outform DER -out "$C/ca.der"
# the test CA is a trust anchor of this deployment, beside the appliance's
cat "$D/ca.pem" "$C/ca.pem" >"$D/anchors.pem"
sed -i 's|^trust_anchors = .*|trust_anchors = anchors.pem|' "$D/esignd.conf"
esd_start

verify() { # verify FILE -> HTTP status; the answer in $TMP/body
	curl -s -o "$TMP/body" -w '%{http_code}' --max-time 30 --cacert "$D/ca.pem" \
		-F "file=@$1;type=application/pdf" "$URL/v1/verify"
}
answer() { # document verdict, per signature verdict/failure/sub-indication
	python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
print(j["verdict"], " ".join("%s/%s/%s" % (s["verdict"], s.get("failure") or "-",
                             s.get("sub_indication") or "-") for s in j["signatures"]))' "$TMP/body"
}
sign() { # sign NAME IN OUT [pdfsign_tool options]
	local n=$1 in=$2 out=$3
	shift 3
	"$TOOL" sign "$@" "$C/$n.key" "$C/$n.pem" "$in" "$out" >/dev/null 2>&1 ||
		not_ok "pdfsign_tool signs with $n"
}
dss() { # dss IN OUT [--crl F] [--ocsp F]...: the test CA's certificate too
	local in=$1 out=$2
	shift 2
	"$TOOL" dss --cert "$C/ca.der" "$@" "$in" "$out" >/dev/null 2>&1 || not_ok "pdfsign_tool dss $*"
}
doc_ts() { # doc_ts IN OUT [test]: a document timestamp from the appliance's TSA
	local hex  # (test: from the test CA's TSA, openssl ts -reply)
	hex=$("$TOOL" timestamp "$1") || { not_ok "timestamp digest"; return; }
	openssl ts -query -digest "$hex" -sha256 -cert -out "$TMP/tsq" 2>/dev/null
	if [ "${3:-}" = test ]; then
		openssl ts -reply -config "$C/ca.cnf" -queryfile "$TMP/tsq" -token_out \
			-out "$TMP/tok" 2>/dev/null || not_ok "openssl ts -reply"
	else
		curl -s -o "$TMP/tsr" --cacert "$D/ca.pem" -H 'Content-Type: application/timestamp-query' \
			--data-binary @"$TMP/tsq" "$URL/tsa"
		openssl ts -reply -in "$TMP/tsr" -token_out -out "$TMP/tok" 2>/dev/null
	fi
	"$TOOL" timestamp --token "$TMP/tok" "$1" "$2" >/dev/null 2>&1 || not_ok "pdfsign_tool timestamp"
}

# --- 1. freshness: a /DSS answer issued before the signature ---------------
NOW=$(date +%s)
crl "$C/stale.crl" $((NOW - 86400))
sign signer "$BASE" "$TMP/s.pdf"
sleep 1
crl "$C/fresh.crl"
dss "$TMP/s.pdf" "$TMP/fresh-crl.pdf" --crl "$C/fresh.crl"
dss "$TMP/s.pdf" "$TMP/stale-crl.pdf" --crl "$C/stale.crl"
eq "a /DSS CRL issued after the signature: 200" 200 "$(verify "$TMP/fresh-crl.pdf")"
eq "... valid, the CRL counts (revocation good)" "valid valid/-/- good" \
	"$(answer) $(jget "$TMP/body" signatures.0.chain.revocation)"
# (pdfsign_tool adds a CMS signing-time attribute: that warning stays)
eq "... no warning about revocation" "" "$(jget "$TMP/body" signatures.0.warnings | grep -i revo)"
eq "a /DSS CRL issued a day before the signature: 200" 200 "$(verify "$TMP/stale-crl.pdf")"
eq "... INDETERMINATE / TRY_LATER, revocation unknown" \
	"indeterminate indeterminate/revocation_data_stale/TRY_LATER unknown" \
	"$(answer) $(jget "$TMP/body" signatures.0.chain.revocation)"
check "... the warning names the CRL's issue time" \
	grep -q "revocation data in the document (/DSS) was issued at $(date -u -d "@$((NOW - 86400))" +%Y-%m-%dT%H:%M:%SZ), before" "$TMP/body"
check "... and the indication" grep -q '"indication":"INDETERMINATE","sub_indication":"TRY_LATER"' "$TMP/body"
# OCSP: a real response (openssl ocsp, producedAt now) for a signature
# whose signed /M claims a time ten minutes later
openssl ocsp -issuer "$C/ca.pem" -cert "$C/signer.pem" -no_nonce -reqout "$TMP/ocsp.req" >/dev/null 2>&1
openssl ocsp -index "$C/index.txt" -rsigner "$C/ocspsigner.pem" -rkey "$C/ocspsigner.key" \
	-CA "$C/ca.pem" -reqin "$TMP/ocsp.req" -respout "$C/good.ocsp" -ndays 7 >/dev/null 2>&1
check "openssl made a good OCSP response" bash -c \
	"openssl ocsp -respin '$C/good.ocsp' -CAfile '$C/ca.pem' -issuer '$C/ca.pem' -cert '$C/signer.pem' -resp_text 2>/dev/null | grep -q ': good'"
sign signer "$BASE" "$TMP/s-later.pdf" --time $(($(date +%s) + 600))
openssl x509 -in "$C/ocspsigner.pem" -outform DER -out "$C/ocspsigner.der"
dss "$TMP/s-later.pdf" "$TMP/stale-ocsp.pdf" --ocsp "$C/good.ocsp" --cert "$C/ocspsigner.der"
dss "$TMP/s.pdf" "$TMP/fresh-ocsp.pdf" --ocsp "$C/good.ocsp" --cert "$C/ocspsigner.der"
verify "$TMP/fresh-ocsp.pdf" >/dev/null
eq "a /DSS OCSP response produced after the signature: valid, good" "valid valid/-/- good" \
	"$(answer) $(jget "$TMP/body" signatures.0.chain.revocation)"
verify "$TMP/stale-ocsp.pdf" >/dev/null
eq "a /DSS OCSP response produced before the signature: TRY_LATER" \
	"indeterminate indeterminate/revocation_data_stale/TRY_LATER unknown" \
	"$(answer) $(jget "$TMP/body" signatures.0.chain.revocation)"

# --- 2. document timestamps as proof of existence ----------------------------
# evidence issued after the signing time (/M, ten minutes ago) but five
# minutes before a document timestamp: the timestamp proves the signature
# existed by then, it does not make that evidence worthless
NOW=$(date +%s)
sign signer "$BASE" "$TMP/old.pdf" --time $((NOW - 600))
crl "$C/old.crl" $((NOW - 300))
dss "$TMP/old.pdf" "$TMP/old-lt.pdf" --crl "$C/old.crl"
doc_ts "$TMP/old-lt.pdf" "$TMP/old-lta.pdf"
verify "$TMP/old-lta.pdf" >/dev/null
eq "a CRL issued after /M, minutes before the document timestamp: valid, good" \
	"valid valid/-/- valid/-/- good" "$(answer) $(jget "$TMP/body" signatures.0.chain.revocation)"
# revoked after the document timestamp: the revocation is published in a
# /DSS added afterwards (validation data: a permitted change)
sign revoked "$BASE" "$TMP/r.pdf"
sleep 1
crl "$C/r-good.crl"
dss "$TMP/r.pdf" "$TMP/r-lt.pdf" --crl "$C/r-good.crl"
doc_ts "$TMP/r-lt.pdf" "$TMP/r-lta.pdf"
verify "$TMP/r-lta.pdf" >/dev/null
eq "signature + /DSS + document timestamp, before the revocation: valid" \
	"valid valid/-/- valid/-/-" "$(answer)"
sleep 1.2
openssl ca -config "$C/ca.cnf" -revoke "$C/revoked.pem" -crl_reason keyCompromise >/dev/null 2>&1
crl "$C/r-revoked.crl"
dss "$TMP/r-lta.pdf" "$TMP/r-lta-revoked.pdf" --crl "$C/r-revoked.crl"
dss "$TMP/r-lt.pdf" "$TMP/r-lt-revoked.pdf" --crl "$C/r-revoked.crl"
verify "$TMP/r-lta-revoked.pdf" >/dev/null
eq "revoked after the document timestamp: still valid, TOTAL_PASSED" \
	"valid valid/-/- valid/-/-" "$(answer)"
check "... revocation revoked, noted as after a document timestamp" bash -c \
	"grep -q '\"revocation\":\"revoked\",\"revoked_at\":\"20' '$TMP/body' &&
	 grep -q 'after a document timestamp (20[-0-9T:]*Z) proves the signature existed: it stays valid' '$TMP/body'"
verify "$TMP/r-lt-revoked.pdf" >/dev/null
eq "the same without the document timestamp: REVOKED_NO_POE" \
	"indeterminate indeterminate/signer_revoked/REVOKED_NO_POE" "$(answer)"

# expired after the document timestamp: a certificate that expires in
# 20 s, valid while it signs and is timestamped, expired at the check;
# and a TSA certificate that expires with it: its document timestamp is
# proven by a later one of the appliance's TSA (an archive timestamp)
EXP_AT=$(($(date +%s) + 20))
leaf expiring -enddate "$(ts $EXP_AT)"
leaf tsa -extensions tsaext -enddate "$(ts $EXP_AT)"
echo 01 >"$C/tsaserial"
sign expiring "$BASE" "$TMP/e.pdf"
sleep 1
crl "$C/e.crl"
dss "$TMP/e.pdf" "$TMP/e-lt.pdf" --crl "$C/e.crl"
doc_ts "$TMP/e-lt.pdf" "$TMP/e-lta.pdf"
# the signer with a fresh CRL, timestamped by the short-lived TSA, then by
# the appliance's
dss "$TMP/s.pdf" "$TMP/a-lt.pdf" --crl "$C/e.crl"
doc_ts "$TMP/a-lt.pdf" "$TMP/a-lta.pdf" test
sleep 1
doc_ts "$TMP/a-lta.pdf" "$TMP/a-lta2.pdf"
verify "$TMP/a-lta.pdf" >/dev/null
eq "a document timestamp of the test CA's TSA, while valid: valid" "valid valid/-/- valid/-/-" "$(answer)"
verify "$TMP/e-lta.pdf" >/dev/null
eq "an expiring signer, timestamped while valid: valid" "valid valid/-/- valid/-/-" "$(answer)"
while [ "$(date +%s)" -le $((EXP_AT + 1)) ]; do sleep 1; done
verify "$TMP/e-lta.pdf" >/dev/null
eq "expired after the document timestamp: still valid, TOTAL_PASSED" \
	"valid valid/-/- valid/-/-" "$(answer)"
check "... noted: expired after a document timestamp proves it existed" \
	grep -q 'certificate expired at 20[-0-9T:]*Z, after a document timestamp (20[-0-9T:]*Z) proves the signature existed' "$TMP/body"
verify "$TMP/e-lt.pdf" >/dev/null
eq "the same without the document timestamp: OUT_OF_BOUNDS_NO_POE" \
	"indeterminate indeterminate/certificate_expired/OUT_OF_BOUNDS_NO_POE" "$(answer)"
verify "$TMP/a-lta.pdf" >/dev/null
eq "a document timestamp whose TSA expired, no later one: OUT_OF_BOUNDS_NO_POE" \
	"indeterminate valid/-/- indeterminate/certificate_expired/OUT_OF_BOUNDS_NO_POE" "$(answer)"
verify "$TMP/a-lta2.pdf" >/dev/null
eq "... followed by the appliance's document timestamp: every entry valid" \
	"valid valid/-/- valid/-/- valid/-/-" "$(answer)"
check "... noted: the TSA expired after a later document timestamp" \
	grep -q "the TSA's certificate expired at 20[-0-9T:]*Z, after a later document timestamp (20[-0-9T:]*Z) proves this one existed" "$TMP/body"
eq "health is still 200" 200 "$(https_code /v1/health)"
finish
