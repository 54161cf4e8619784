#!/bin/bash
# CRL, OCSP and RFC 3161 answers from pki/ judged by the openssl CLI.
#
#   tests/pki/run.sh PKI_HELPER
#
# The helper (tests/pki/helper.c) writes a CA, a delegated OCSP signer and
# a TSA with pki/, then answers requests that openssl itself made. Once
# with EC P-256 keys, once with RSA 2048.
# Prints "ok - ..." / "not ok - ..." per check and "N passed, M failed".
set -u

helper=${1:-${PKI_HELPER:-}}
if [ -z "$helper" ] || [ ! -x "$helper" ]; then
	echo "usage: $0 PKI_HELPER" >&2
	exit 2
fi
command -v openssl >/dev/null || { echo "missing openssl" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0
fail=0

ok() { echo "ok - $*"; pass=$((pass + 1)); }
nok() { echo "not ok - $*"; fail=$((fail + 1)); }
check() {
	local desc=$1
	shift
	if "$@" >"$work/check.out" 2>&1; then
		ok "$desc"
	else
		nok "$desc"
		sed 's/^/#   /' "$work/check.out"
	fi
}
# out_has PATTERN CMD...: CMD succeeds and its output matches PATTERN
out_has() {
	local pat=$1
	shift
	"$@" >"$work/cmd.out" 2>&1 && grep -Eq -- "$pat" "$work/cmd.out"
}
# out_has_any PATTERN CMD...: CMD's output matches PATTERN, whatever it exits
out_has_any() {
	local pat=$1
	shift
	"$@" >"$work/cmd.out" 2>&1
	grep -Eq -- "$pat" "$work/cmd.out"
}
fails() { ! "$@"; }
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }

head -c 4096 /dev/urandom >"$work/data"
printf 'some other document\n' >"$work/other"

for alg in ec rsa; do
	d=$work/$alg
	mkdir "$d"
	if ! "$helper" init "$d" "$alg" >"$work/init.err" 2>&1; then
		nok "$alg: helper init"
		cat "$work/init.err"
		continue
	fi
	good=$(serial_of "$d/leaf.pem")
	bad=$(serial_of "$d/revoked.pem")

	# ---- CRL ----
	check "$alg: CRL issued" \
		"$helper" crl "$d" "$bad" keyCompromise "$d/crl.der"
	check "$alg: openssl crl -verify accepts the CRL signature" \
		out_has '^verify OK' openssl crl -inform DER -in "$d/crl.der" \
		-CAfile "$d/ca.pem" -verify -noout
	openssl crl -inform DER -in "$d/crl.der" -text -noout \
		>"$d/crl.txt" 2>&1
	check "$alg: CRL is version 2" grep -q "Version 2 (0x1)" "$d/crl.txt"
	check "$alg: CRL signed with SHA-256" grep -Eq \
		"Signature Algorithm: (ecdsa-with-SHA256|sha256WithRSAEncryption)" \
		"$d/crl.txt"
	check "$alg: CRL lists the revoked serial" \
		grep -q "Serial Number: $bad" "$d/crl.txt"
	check "$alg: CRL entry reason is Key Compromise" \
		grep -Pzq "Serial Number: $bad\n.*\n.*\n.*CRL Reason Code: \n *Key Compromise" \
		"$d/crl.txt"
	check "$alg: CRL number 42" \
		grep -Pzq "X509v3 CRL Number: \n *42\n" "$d/crl.txt"
	check "$alg: CRL has an authority key identifier" \
		grep -q "X509v3 Authority Key Identifier" "$d/crl.txt"
	openssl crl -inform DER -in "$d/crl.der" -out "$d/crl.pem"
	check "$alg: openssl verify -crl_check: revoked certificate refused" \
		out_has_any "certificate revoked" openssl verify -crl_check \
		-CAfile "$d/ca.pem" -CRLfile "$d/crl.pem" "$d/revoked.pem"
	check "$alg: openssl verify -crl_check: good certificate OK" \
		out_has ": OK" openssl verify -crl_check \
		-CAfile "$d/ca.pem" -CRLfile "$d/crl.pem" "$d/leaf.pem"
	check "$alg: CRL reason certificateHold" \
		"$helper" crl "$d" "$bad" certificateHold "$d/crl2.der"
	check "$alg: openssl crl -text shows Certificate Hold" \
		out_has "Certificate Hold" openssl crl -inform DER \
		-in "$d/crl2.der" -text -noout
	check "$alg: CRL with an unknown reason name refused" \
		fails "$helper" crl "$d" "$bad" noSuchReason "$d/crl3.der"

	# ---- OCSP ----
	ocsp_verify() { # RESP REQ: signature, delegated signer, nonce
		openssl ocsp -respin "$1" -reqin "$2" -CAfile "$d/ca.pem" 2>&1 |
			grep -q "Response verify OK"
	}
	for md in sha1 sha256; do
		rm -f "$d/req.der" "$d/resp.der"
		openssl ocsp -$md -issuer "$d/ca.pem" -cert "$d/leaf.pem" \
			-cert "$d/revoked.pem" -serial 0x1234 \
			-reqout "$d/req.der" >/dev/null 2>&1
		check "$alg/$md: OCSP answer to openssl's request" \
			"$helper" ocsp "$d" "$d/req.der" "$d/resp.der" "$bad" "$good"
		check "$alg/$md: openssl ocsp: Response verify OK (signer, nonce)" \
			ocsp_verify "$d/resp.der" "$d/req.der"
		openssl ocsp -respin "$d/resp.der" -no_nonce -CAfile "$d/ca.pem" \
			-$md -issuer "$d/ca.pem" -cert "$d/leaf.pem" \
			-cert "$d/revoked.pem" -serial 0x1234 \
			>"$d/ocsp.txt" 2>&1
		check "$alg/$md: leaf is good" grep -q "leaf.pem: good" "$d/ocsp.txt"
		check "$alg/$md: revoked is revoked" \
			grep -q "revoked.pem: revoked" "$d/ocsp.txt"
		check "$alg/$md: revocation reason keyCompromise" \
			grep -q "Reason: keyCompromise" "$d/ocsp.txt"
		check "$alg/$md: unknown serial is unknown" \
			grep -q "0x1234: unknown" "$d/ocsp.txt"
		check "$alg/$md: CertID hash echoed" out_has \
			"Hash Algorithm: $md" openssl ocsp -respin "$d/resp.der" \
			-resp_text -noverify
	done
	openssl ocsp -issuer "$d/ca.pem" -cert "$d/leaf.pem" \
		-reqout "$d/req1.der" >/dev/null 2>&1
	"$helper" ocsp "$d" "$d/req1.der" "$d/resp1.der" "$bad" "$good" \
		2>/dev/null
	check "$alg: OCSP nonce mismatch detected by openssl" \
		out_has_any "Nonce Verify error" openssl ocsp \
		-respin "$d/resp1.der" -reqin "$d/req.der" -CAfile "$d/ca.pem"
	openssl ocsp -no_nonce -issuer "$d/ca.pem" -serial "0x$good" \
		-reqout "$d/req2.der" >/dev/null 2>&1
	"$helper" ocsp "$d" "$d/req2.der" "$d/resp2.der" "$bad" "$good" \
		2>/dev/null
	check "$alg: OCSP request without nonce: verify OK, good" \
		out_has "0x$good: good" openssl ocsp -respin "$d/resp2.der" \
		-reqin "$d/req2.der" -CAfile "$d/ca.pem" -issuer "$d/ca.pem" \
		-serial "0x$good"
	args=()
	for i in 1 2 3 4 5 6 7 8 9; do args+=(-serial "0x$i$i"); done
	openssl ocsp -issuer "$d/ca.pem" "${args[@]}" \
		-reqout "$d/req9.der" >/dev/null 2>&1
	"$helper" ocsp "$d" "$d/req9.der" "$d/resp9.der" "$bad" 2>/dev/null
	check "$alg: 9 single requests: malformedRequest" \
		out_has_any "Responder Error: malformedrequest" \
		openssl ocsp -respin "$d/resp9.der" -noverify
	head -c 30 "$d/req.der" >"$d/reqt.der"
	"$helper" ocsp "$d" "$d/reqt.der" "$d/respt.der" "$bad" 2>/dev/null
	check "$alg: truncated request: malformedRequest" \
		out_has_any "Responder Error: malformedrequest" \
		openssl ocsp -respin "$d/respt.der" -noverify

	# ---- RFC 3161 ----
	for md in sha256 sha384 sha512; do
		openssl ts -query -data "$work/data" -$md -cert \
			-out "$d/q.tsq" 2>/dev/null
		check "$alg/$md: TSA answer to openssl ts -query" \
			"$helper" tsa "$d" "$d/q.tsq" "$d/r.tsr"
		check "$alg/$md: openssl ts -verify -data: Verification: OK" \
			out_has "^Verification: OK" openssl ts -verify \
			-in "$d/r.tsr" -data "$work/data" -CAfile "$d/ca.pem" \
			-untrusted "$d/tsa.pem"
		check "$alg/$md: openssl ts -verify -queryfile (nonce): OK" \
			out_has "^Verification: OK" openssl ts -verify \
			-in "$d/r.tsr" -queryfile "$d/q.tsq" -CAfile "$d/ca.pem"
	done
	check "$alg: time stamp of another document refused" \
		out_has_any "Verification: FAILED" openssl ts -verify \
		-in "$d/r.tsr" -data "$work/other" -CAfile "$d/ca.pem" \
		-untrusted "$d/tsa.pem"
	openssl ts -reply -in "$d/r.tsr" -text >"$d/ts.txt" 2>&1
	check "$alg: TSTInfo policy, accuracy 1 s, ordering no" \
		grep -Pzq "Policy OID: 1.3.6.1.4.1.99999.1.1\n(.|\n)*Accuracy: 0x01 seconds(.|\n)*Ordering: no" \
		"$d/ts.txt"
	openssl ts -reply -in "$d/r.tsr" -token_out -out "$d/tok_cli.der" \
		2>/dev/null
	openssl cms -cmsout -print -inform DER -in "$d/tok_cli.der" \
		>"$d/tok.txt" 2>&1
	check "$alg: token has ESS signing-certificate-v2" \
		grep -q "id-smime-aa-signingCertificateV2" "$d/tok.txt"
	check "$alg: token signed with SHA-256" \
		grep -Eq "algorithm: (ecdsa-with-SHA256|sha256WithRSAEncryption|sha256 )" \
		"$d/tok.txt"
	check "$alg: pki_tst_from_resp extracts the token" \
		"$helper" tst "$d/r.tsr" "$d/tok.der"
	check "$alg: extracted token equals openssl's -token_out" \
		cmp -s "$d/tok.der" "$d/tok_cli.der"
	check "$alg: openssl ts -verify -token_in: Verification: OK" \
		out_has "^Verification: OK" openssl ts -verify -token_in \
		-in "$d/tok.der" -data "$work/data" -CAfile "$d/ca.pem" \
		-untrusted "$d/tsa.pem"
	openssl ts -query -data "$work/data" -sha256 -no_nonce \
		-out "$d/qn.tsq" 2>/dev/null
	"$helper" tsa "$d" "$d/qn.tsq" "$d/rn.tsr" 2>/dev/null
	check "$alg: no nonce, no certReq: Verification: OK with -untrusted" \
		out_has "^Verification: OK" openssl ts -verify -in "$d/rn.tsr" \
		-queryfile "$d/qn.tsq" -CAfile "$d/ca.pem" -untrusted "$d/tsa.pem"
	openssl ts -query -data "$work/data" -sha256 -tspolicy 1.2.3.4 \
		-out "$d/qp.tsq" 2>/dev/null
	"$helper" tsa "$d" "$d/qp.tsq" "$d/rp.tsr" 2>/dev/null
	check "$alg: other policy: rejection, unaccepted policy" \
		out_has "policy is not supported by the TSA" \
		openssl ts -reply -in "$d/rp.tsr" -text
	check "$alg: our policy asked for: granted" \
		out_has "Status: Granted" bash -c "openssl ts -query -data \
		'$work/data' -sha256 -tspolicy 1.3.6.1.4.1.99999.1.1 \
		-out '$d/qo.tsq' 2>/dev/null && '$helper' tsa '$d' '$d/qo.tsq' \
		'$d/ro.tsr' && openssl ts -reply -in '$d/ro.tsr' -text"
	check "$alg: rejection has no token to extract" \
		fails "$helper" tst "$d/rp.tsr" "$d/tokp.der"
	openssl ts -query -data "$work/data" -sha1 -out "$d/q1.tsq" 2>/dev/null
	"$helper" tsa "$d" "$d/q1.tsq" "$d/r1.tsr" 2>/dev/null
	check "$alg: SHA-1 imprint: rejection, bad algorithm" \
		out_has "unsupported algorithm" openssl ts -reply \
		-in "$d/r1.tsr" -text
	head -c 20 "$d/q.tsq" >"$d/qt.tsq"
	"$helper" tsa "$d" "$d/qt.tsq" "$d/rt.tsr" 2>/dev/null
	check "$alg: truncated query: rejection, bad request" \
		out_has "Status: Rejected" openssl ts -reply -in "$d/rt.tsr" -text
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
