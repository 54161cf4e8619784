#!/bin/bash
# Signs every file of the PDF corpus (tests/corpus) with pdfsign_tool and lets real
# tools judge the result (qpdf --check, pdfsig), as the corpus README asks.
#
#   tests/pdf/run_corpus.sh BUILD_DIR
#
# Corpus: $ESD_CORPUS, else tests/corpus.
# Tool:   $PDFSIGN_TOOL, else BUILD_DIR/tests/pdf/pdfsign_tool.
# Prints "ok - ..." / "not ok - ..." per check and "N passed, M failed".
# Also PAdES B-LT (/DSS) and B-LTA (document timestamp made with `openssl
# ts` and a test TSA), and visible image + QR appearances judged by
# pdftoppm renders and zbarimg (zbar-tools; skipped when missing).
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
corpus=${ESD_CORPUS:-$repo/tests/corpus}
build=${1:-}
tool=${PDFSIGN_TOOL:-}
if [ -z "$tool" ] && [ -n "$build" ]; then
	for c in "$build/tests/pdf/pdfsign_tool" "$build/pdfsign_tool"; do
		if [ -x "$c" ]; then tool=$c; break; fi
	done
fi
if [ -z "$tool" ] || [ ! -x "$tool" ]; then
	echo "usage: $0 BUILD_DIR (pdfsign_tool not found)" >&2
	exit 2
fi
for t in qpdf pdfsig pdftoppm pdfinfo openssl xxd sha256sum sha1sum; do
	command -v $t >/dev/null || { echo "missing $t" >&2; exit 2; }
done
[ -d "$corpus" ] || { echo "no corpus at $corpus" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0
fail=0

ok() { echo "ok - $*"; pass=$((pass + 1)); }
nok() { echo "not ok - $*"; fail=$((fail + 1)); }
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else nok "$desc"; fi
}

openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 2 \
	-subj "/O=esignd tests/CN=esignd corpus signer" \
	-keyout "$work/key.pem" -out "$work/cert.pem" >/dev/null 2>&1 ||
	{ echo "openssl req failed" >&2; exit 2; }

# sign IN OUT [tool options...]: runs the tool, output in $work/tool.out
sign() {
	local in=$1 out=$2
	shift 2
	"$tool" sign "$@" "$work/key.pem" "$work/cert.pem" "$in" "$out" \
		>"$work/tool.out" 2>"$work/tool.err"
}

# qpdf --check passes; warnings only if the input already had them
qpdf_ok() {
	local in=$1 out=$2 rc irc
	qpdf --check "$out" >"$work/qpdf.out" 2>&1
	rc=$?
	[ $rc -eq 0 ] && return 0
	[ $rc -eq 3 ] || return 1
	qpdf --check "$in" >/dev/null 2>&1
	irc=$?
	[ $irc -eq 3 ]
}

# pdfsig lists exactly N signatures, all cryptographically valid, and the
# last one covers the whole file
pdfsig_ok() {
	local out=$1 n=$2 got valid
	pdfsig "$out" >"$work/pdfsig.out" 2>&1
	got=$(grep -c '^Signature #' "$work/pdfsig.out")
	valid=$(grep -c 'Signature Validation: Signature is Valid\.' \
		"$work/pdfsig.out")
	[ "$got" -eq "$n" ] && [ "$valid" -eq "$n" ] &&
		[ "$(grep -E 'document signed' "$work/pdfsig.out" | tail -1 |
		     sed 's/^ *- //')" = "Total document signed" ]
}

# our own reader finds N signatures and each CMS verifies over its range
reader_ok() {
	local out=$1 n=$2
	"$tool" verify "$out" "$work/cert.pem" >"$work/verify.out" 2>&1 &&
		[ "$(grep -c ' cms valid$' "$work/verify.out")" -eq "$n" ]
}

# the original is a byte-for-byte prefix of the output (append only)
prefix_ok() {
	cmp -s -n "$(stat -c %s "$1")" "$1" "$2"
}

refused_ok() {
	local why=$1 out=$2
	[ ! -e "$out" ] && grep -q "^refused: $why " "$work/tool.out"
}

signs() {
	local f=$1 b=$2 n0=$3 o1=$work/$2.1.pdf o2=$work/$2.2.pdf
	if ! sign "$f" "$o1"; then
		nok "$b: signs ($(head -1 "$work/tool.out") $(head -1 "$work/tool.err"))"
		return
	fi
	ok "$b: signs"
	check "$b: original bytes unchanged" prefix_ok "$f" "$o1"
	check "$b: qpdf --check" qpdf_ok "$f" "$o1"
	check "$b: pdfsig: $((n0 + 1)) valid signature(s)" pdfsig_ok "$o1" $((n0 + 1))
	check "$b: reader + CMS verify" reader_ok "$o1" $((n0 + 1))
	if sign "$o1" "$o2" --pkcs7 --reason "second signature"; then
		ok "$b: signs again"
		check "$b: second: qpdf --check" qpdf_ok "$f" "$o2"
		check "$b: second: pdfsig: $((n0 + 2)) valid signatures" \
			pdfsig_ok "$o2" $((n0 + 2))
		check "$b: second: reader + CMS verify" reader_ok "$o2" $((n0 + 2))
	else
		nok "$b: signs again ($(head -1 "$work/tool.out"))"
	fi
}

refuses() {
	local f=$1 b=$2 why=$3 o=$work/$2.out.pdf
	sign "$f" "$o"
	check "$b: refused ($why), nothing written" refused_ok "$why" "$o"
}

for f in "$corpus"/*; do
	b=$(basename "$f")
	case "$b" in
	*.md) continue ;;
	bad-not-pdf*) refuses "$f" "$b" not_pdf ;;
	bad-truncated*) refuses "$f" "$b" truncated ;;
	bad-encrypted*) refuses "$f" "$b" encrypted ;;
	bad-already-signed*)
		"$tool" count "$f" >"$work/count.out" 2>&1
		check "$b: reports 1 signature" grep -qx "signatures 1" "$work/count.out"
		sign "$f" "$work/seal.pdf" --seal
		check "$b: seal refused (already_signed), nothing written" \
			refused_ok already_signed "$work/seal.pdf"
		signs "$f" "$b" 1
		;;
	damaged-*)
		if sign "$f" "$work/$b.1.pdf"; then
			ok "$b: signs after repair"
			check "$b: qpdf --check" qpdf_ok "$f" "$work/$b.1.pdf"
			check "$b: pdfsig: 1 valid signature" pdfsig_ok "$work/$b.1.pdf" 1
			check "$b: reader + CMS verify" reader_ok "$work/$b.1.pdf" 1
		else
			check "$b: refused (damaged), nothing written" \
				refused_ok damaged "$work/$b.1.pdf"
		fi
		;;
	bad-*)
		sign "$f" "$work/$b.out.pdf"
		check "$b: refused, nothing written" refused_ok '[a-z_]*' "$work/$b.out.pdf"
		;;
	*.pdf) signs "$f" "$b" 0 ;;
	esac
done

# options and refusals on one classic-table and one xref-stream file
for b in xref-table.pdf pdftex-1.5-objstm.pdf; do
	f=$corpus/$b
	[ -f "$f" ] || continue
	v=$work/$b.vis.pdf
	if sign "$f" "$v" --page 1 --rect 72,72,272,142 --field Approval \
		--name "Budi Santoso" --reason "Persetujuan — ü" --location Jakarta; then
		ok "$b: visible signature on page 2"
		check "$b: visible: qpdf --check" qpdf_ok "$f" "$v"
		check "$b: visible: pdfsig valid" pdfsig_ok "$v" 1
		check "$b: visible: field name kept" grep -q "Field Name: Approval" "$work/pdfsig.out"
		sign "$v" "$work/$b.dup.pdf" --field Approval
		check "$b: duplicate field refused" refused_ok field_exists "$work/$b.dup.pdf"
		sign "$v" "$work/$b.seal.pdf" --seal
		check "$b: seal of signed output refused" refused_ok already_signed "$work/$b.seal.pdf"
	else
		nok "$b: visible signature on page 2 ($(head -1 "$work/tool.out"))"
	fi
	sign "$f" "$work/$b.small.pdf" --contents 64
	check "$b: CMS larger than /Contents refused" refused_ok contents_too_small "$work/$b.small.pdf"
	sign "$f" "$work/$b.nopage.pdf" --page 9999
	check "$b: missing page refused" refused_ok no_page "$work/$b.nopage.pdf"
	sign "$f" "$work/$b.badutf.pdf" --reason $'\xff\xfe'
	check "$b: invalid UTF-8 option refused" refused_ok bad_option "$work/$b.badutf.pdf"
done

# qpdf rewrites of a corpus file: object streams, and linearized streams
f=$corpus/libreoffice-letter.pdf
if [ -f "$f" ]; then
	qpdf --object-streams=generate "$f" "$work/variant-objstm.pdf" &&
		signs "$work/variant-objstm.pdf" "variant-objstm.pdf (qpdf)" 0
	qpdf --linearize --object-streams=generate "$f" "$work/variant-lin-objstm.pdf" &&
		signs "$work/variant-lin-objstm.pdf" "variant-lin-objstm.pdf (qpdf)" 0
fi

# performance: prepare is bounded by the update, not the document
f=$corpus/real-prawn-large.pdf
if [ -f "$f" ]; then
	sign "$f" "$work/prawn.pdf"
	ms=$(sed -n 's/^prepare: \([0-9.]*\) ms$/\1/p' "$work/tool.err")
	check "real-prawn-large.pdf: prepared in ${ms:-?} ms (< 50)" \
		awk -v m="${ms:-999}" 'BEGIN { exit !(m < 50) }'
	# reported, not judged: the reader and writer alone (open, plan the
	# update without copying the document), as the daemon uses them
	echo "# real-prawn-large.pdf: $(grep '^read and plan' "$work/tool.err")"
fi

# ---- PAdES B-LT (/DSS), B-LTA (document timestamp), image + QR ----------
# A small test PKI made with the openssl CLI: CA, signer, OCSP responder,
# TSA (critical extendedKeyUsage timeStamping), a CRL and an OCSP response.
pki=$work/pki
pki_setup() {
	mkdir -p "$pki/newcerts" && cd "$pki" || return 1
	: >index.txt
	echo 1000 >serial
	echo 1000 >crlnumber
	echo 01 >tsaserial
	cat >ca.cnf <<'EOF_CNF'
[ ca ]
default_ca = tca
[ tca ]
dir = .
database = ./index.txt
new_certs_dir = ./newcerts
serial = ./serial
crlnumber = ./crlnumber
default_md = sha256
default_days = 2
default_crl_days = 2
policy = pol
unique_subject = no
[ pol ]
organizationName = optional
commonName = supplied
[ signer ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
[ tsa ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,timeStamping
[ ocsp ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,OCSPSigning
[ tsa1 ]
tsa_name = no
ess_cert_id_chain = no
serial = ./tsaserial
signer_digest = sha256
digests = sha256
default_policy = 1.2.3.4.1
accuracy = secs:1
ess_cert_id_alg = sha256
signer_cert = ./tsa.pem
signer_key = ./tsa.key
certs = ./ca.pem
EOF_CNF
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-sha256 -days 2 -subj "/O=esignd tests/CN=esignd test CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" \
		-keyout ca.key -out ca.pem || return 1
	for n in signer tsa ocsp; do
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
			-nodes -subj "/O=esignd tests/CN=esignd test $n" \
			-keyout $n.key -out $n.csr &&
		openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key \
			-extensions $n -in $n.csr -out $n.pem -notext || return 1
	done
	for n in ca signer tsa; do
		openssl x509 -in $n.pem -outform DER -out $n.der || return 1
	done
	openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key \
		-gencrl -out crl.pem &&
	openssl crl -in crl.pem -outform DER -out crl.der &&
	openssl ocsp -issuer ca.pem -cert signer.pem -no_nonce \
		-reqout ocspreq.der &&
	openssl ocsp -index index.txt -rsigner ocsp.pem -rkey ocsp.key \
		-CA ca.pem -reqin ocspreq.der -respout ocsp.der -ndays 1
}

# qpdf helpers: object numbers behind the trailer, catalog and fields
q_root() {
	qpdf --show-object=trailer "$1" |
		sed -n 's|.*/Root \([0-9]*\) [0-9]* R.*|\1|p'
}
q_catalog_ref() { # FILE KEY
	qpdf --show-object="$(q_root "$1")" "$1" |
		sed -n "s|.*/$2 \([0-9]*\) [0-9]* R.*|\1|p"
}
q_sig_values() { # FILE: signature value objects, in field order
	local f=$1 af fields fl
	af=$(q_catalog_ref "$f" AcroForm)
	if [ -n "$af" ]; then fields=$(qpdf --show-object="$af" "$f")
	else fields=$(qpdf --show-object="$(q_root "$f")" "$f"); fi
	for fl in $(echo "$fields" | sed -n 's|.*/Fields \[ \([^]]*\) \].*|\1|p' |
		grep -o '[0-9]* [0-9]* R' | cut -d' ' -f1); do
		qpdf --show-object="$fl" "$f" |
			sed -n 's|.*/V \([0-9]*\) [0-9]* R.*|\1|p'
	done
}
# the refs in array KEY of the catalog's /DSS (one number per line)
dss_refs() {
	local f=$1 key=$2 dss
	dss=$(q_catalog_ref "$f" DSS)
	[ -n "$dss" ] || return 1
	qpdf --show-object="$dss" "$f" |
		sed -n "s|^<< .*/$key \[ \([^]]*\) \].*|\1|p" |
		grep -o '[0-9]* [0-9]* R' | cut -d' ' -f1
}
dss_count_is() { [ "$(dss_refs "$1" "$2" | wc -l)" -eq "$3" ]; }
# every stream listed under KEY decodes (qpdf) to what CMD accepts
dss_streams_parse() {
	local f=$1 key=$2 o
	shift 2
	for o in $(dss_refs "$f" "$key"); do
		qpdf --show-object="$o" --filtered-stream-data "$f" \
			>"$work/blob.der" 2>/dev/null &&
			"$@" >/dev/null 2>&1 || return 1
	done
}
# /VRI has the uppercase SHA-1 of the last signature's whole /Contents
vri_ok() {
	local f=$1 sig hex key
	sig=$(q_sig_values "$f" | tail -1)
	hex=$(qpdf --show-object="$sig" "$f" |
		sed -n 's|.*/Contents <\([0-9a-fA-F]*\)>.*|\1|p')
	key=$(echo "$hex" | xxd -r -p | sha1sum | cut -c1-40 | tr a-f A-F)
	[ -n "$hex" ] &&
		qpdf --show-object="$(q_catalog_ref "$f" DSS)" "$f" |
		grep -q "/VRI << .*/$key << "
}
# pdfsig: N signatures, all cryptographically valid (later revisions
# are expected after a DSS: "Total document signed" is not required)
pdfsig_valid() {
	local out=$1 n=$2
	pdfsig "$out" >"$work/pdfsig.out" 2>&1
	[ "$(grep -c '^Signature #' "$work/pdfsig.out")" -eq "$n" ] &&
		[ "$(grep -c 'Signature Validation: Signature is Valid\.' \
			"$work/pdfsig.out")" -eq "$n" ]
}
# byte range of signature value object SIG in F, SHA-256 over it (hex)
range_sha256() {
	local f=$1 sig=$2 br
	br=$(qpdf --show-object="$sig" "$f" |
		sed -n 's|.*/ByteRange \[ \([0-9 ]*\) \].*|\1|p')
	set -- $br
	[ $# -eq 4 ] || return 1
	{ head -c "$2" "$f"; tail -c +$(($3 + 1)) "$f" | head -c "$4"; } |
		sha256sum | cut -c1-64
}
# the document timestamp's token (taken out of the file by qpdf) verifies
# with openssl against the byte range digest computed here
tst_ok() {
	local f=$1 sig dg
	sig=$(q_sig_values "$f" | tail -1)
	dg=$(range_sha256 "$f" "$sig") || return 1
	qpdf --show-object="$sig" "$f" |
		sed -n 's|.*/Contents <\([0-9a-fA-F]*\)>.*|\1|p' |
		xxd -r -p >"$work/tst.der"
	qpdf --show-object="$sig" "$f" | grep -q '/Type /DocTimeStamp' &&
		qpdf --show-object="$sig" "$f" | grep -q '/SubFilter /ETSI.RFC3161' &&
		openssl ts -verify -token_in -in "$work/tst.der" -digest "$dg" \
			-CAfile "$pki/ca.pem" >/dev/null 2>&1
}
# pdfsig lists the timestamp last (poppler >= 23 names the type, older
# ones print "unknown") and, with "whole", it covers the whole file
pdfsig_tst_ok() {
	pdfsig "$1" >"$work/pdfsig.out" 2>&1
	awk '/^Signature #/ { last = "" } { last = last "\n" $0 }
	     END { print last }' "$work/pdfsig.out" >"$work/pdfsig.last"
	grep -Eq 'Signature Type: (ETSI\.RFC3161|unknown)' "$work/pdfsig.last" &&
		{ [ "${2:-}" != whole ] ||
		  grep -q 'Total document signed' "$work/pdfsig.last"; }
}

blt() {
	local f=$1 b=$2 n=$3 s=$work/$2.blt.pdf lt=$work/$2.lt.pdf
	local lt2=$work/$2.lt2.pdf lta=$work/$2.lta.pdf lta2=$work/$2.lta2.pdf
	"$tool" sign "$pki/signer.key" "$pki/signer.pem" "$f" "$s" \
		>"$work/tool.out" 2>&1 || { nok "$b: B-LT: sign"; return; }
	if "$tool" dss --vri --cert "$pki/signer.der" --cert "$pki/ca.der" \
		--cert "$pki/ca.der" --ocsp "$pki/ocsp.der" --crl "$pki/crl.der" \
		"$s" "$lt" >"$work/tool.out" 2>&1; then
		ok "$b: B-LT: DSS appended"
	else
		nok "$b: B-LT: DSS appended ($(head -1 "$work/tool.out"))"
		return
	fi
	check "$b: B-LT: original bytes unchanged" prefix_ok "$s" "$lt"
	check "$b: B-LT: qpdf --check" qpdf_ok "$f" "$lt"
	check "$b: B-LT: pdfsig: $n valid signature(s)" pdfsig_valid "$lt" "$n"
	check "$b: B-LT: catalog /DSS has 2 certs (one deduplicated)" \
		dss_count_is "$lt" Certs 2
	check "$b: B-LT: /DSS has 1 OCSP, 1 CRL" eval \
		'dss_count_is "$lt" OCSPs 1 && dss_count_is "$lt" CRLs 1'
	check "$b: B-LT: /Certs streams are certificates (openssl x509)" \
		dss_streams_parse "$lt" Certs \
		openssl x509 -inform DER -in "$work/blob.der" -noout
	check "$b: B-LT: /OCSPs stream is an OCSP response (openssl ocsp)" \
		dss_streams_parse "$lt" OCSPs \
		openssl ocsp -respin "$work/blob.der" -noverify
	check "$b: B-LT: /CRLs stream is a CRL (openssl crl)" \
		dss_streams_parse "$lt" CRLs \
		openssl crl -inform DER -in "$work/blob.der" -noout
	check "$b: B-LT: /VRI key = SHA-1 of the signature /Contents" vri_ok "$lt"
	if "$tool" dss --flate --vri --cert "$pki/tsa.der" --cert "$pki/ca.der" \
		"$lt" "$lt2" >"$work/tool.out" 2>&1; then
		check "$b: B-LT: second DSS merges (3 certs, OCSP and CRL kept)" \
			eval 'dss_count_is "$lt2" Certs 3 &&
			      dss_count_is "$lt2" OCSPs 1 && dss_count_is "$lt2" CRLs 1'
		check "$b: B-LT: second DSS: qpdf --check, pdfsig valid" eval \
			'qpdf_ok "$f" "$lt2" && pdfsig_valid "$lt2" "$n"'
		check "$b: B-LT: Flate /Certs decode (qpdf + openssl x509)" \
			dss_streams_parse "$lt2" Certs \
			openssl x509 -inform DER -in "$work/blob.der" -noout
	else
		nok "$b: B-LT: second DSS ($(head -1 "$work/tool.out"))"
	fi
	# B-LTA: document timestamp from `openssl ts` over the byte range
	local dg
	dg=$("$tool" timestamp "$lt2" 2>/dev/null)
	if [ ${#dg} -eq 64 ] &&
		openssl ts -query -digest "$dg" -sha256 -cert -no_nonce \
			-out "$work/q.tsq" >/dev/null 2>&1 &&
		(cd "$pki" && openssl ts -reply -config ca.cnf -section tsa1 \
			-queryfile "$work/q.tsq" -token_out \
			-out "$work/token.der" >/dev/null 2>&1) &&
		"$tool" timestamp --token "$work/token.der" "$lt2" "$lta" \
			>"$work/tool.out" 2>&1; then
		ok "$b: B-LTA: document timestamp written"
	else
		nok "$b: B-LTA: document timestamp written ($(head -1 "$work/tool.out"))"
		return
	fi
	check "$b: B-LTA: original bytes unchanged" prefix_ok "$lt2" "$lta"
	check "$b: B-LTA: qpdf --check" qpdf_ok "$f" "$lta"
	check "$b: B-LTA: pdfsig: earlier signature(s) still valid" eval \
		'pdfsig "$lta" 2>&1 | grep -c "Signature is Valid" |
		 grep -qx "$n"'
	check "$b: B-LTA: pdfsig lists the timestamp last, whole file" \
		pdfsig_tst_ok "$lta" whole
	check "$b: B-LTA: openssl ts -verify of the embedded token" tst_ok "$lta"
	check "$b: B-LTA: reader sees ETSI.RFC3161, imprint matches" eval \
		'"$tool" verify "$lta" "$pki/signer.pem" >"$work/verify.out" 2>&1 &&
		 grep -q "subfilter=ETSI.RFC3161 .* whole=1" "$work/verify.out" &&
		 grep -q " tst valid$" "$work/verify.out"'
	# validation data for the timestamp itself goes into a later DSS
	if "$tool" dss --vri --cert "$pki/tsa.der" --cert "$pki/ca.der" \
		--crl "$pki/crl.der" "$lta" "$lta2" >"$work/tool.out" 2>&1; then
		check "$b: B-LTA: DSS after the timestamp: qpdf, pdfsig, /VRI" eval \
			'qpdf_ok "$f" "$lta2" && vri_ok "$lta2" &&
			 pdfsig "$lta2" 2>&1 | grep -c "Signature is Valid" |
			 grep -qx "$n" && pdfsig_tst_ok "$lta2"'
		check "$b: B-LTA: token still verifies after the DSS" \
			tst_ok "$lta2"
	else
		nok "$b: B-LTA: DSS after the timestamp ($(head -1 "$work/tool.out"))"
	fi
}

# rendering at 72 dpi: one pixel per point. Crop of page 1 around rect.
render_crop() { # FILE X Y W H (PDF points, y from the bottom) OUT
	local f=$1 ph
	ph=$(pdfinfo -f 1 -l 1 "$f" 2>/dev/null |
		sed -n 's|^Page *1 size: *[0-9.]* x \([0-9.]*\) pts.*|\1|p')
	ph=${ph%.*}
	pdftoppm -r 72 -f 1 -l 1 -singlefile -x "$2" -y $((ph - $3 - $5)) \
		-W "$4" -H "$5" "$f" "$6" >/dev/null 2>&1
}
differs() { ! cmp -s "$1" "$2"; }
qr_ok() { # FILE TEXT: zbarimg decodes TEXT from page 1 at 150 dpi
	pdftoppm -png -r 150 -f 1 -l 1 -singlefile "$1" "$work/qrpage" \
		>/dev/null 2>&1 &&
		zbarimg -q --raw "$work/qrpage.png" 2>/dev/null | grep -qxF "$2"
}

visible_img() {
	local f=$1 b=$2 img=$3 kind=$4 o=$work/$2.img.$4.pdf
	local qr="https://esignd.example/v/${kind}-7f3a9c?x=1"
	if sign "$f" "$o" --rect 72,72,372,172 --name "Budi Santoso" \
		--reason Approved --image "$img" --qr "$qr"; then
		ok "$b: visible $kind image + QR"
	else
		nok "$b: visible $kind image + QR ($(head -1 "$work/tool.out"))"
		return
	fi
	check "$b: $kind: qpdf --check" qpdf_ok "$f" "$o"
	check "$b: $kind: pdfsig valid" pdfsig_ok "$o" 1
	render_crop "$f" 72 72 300 100 "$work/before.$kind"
	render_crop "$o" 72 72 300 100 "$work/after.$kind"
	render_crop "$f" 72 400 300 100 "$work/before2.$kind"
	render_crop "$o" 72 400 300 100 "$work/after2.$kind"
	check "$b: $kind: pdftoppm: pixels in the rect change" \
		differs "$work/before.$kind.ppm" "$work/after.$kind.ppm"
	check "$b: $kind: pdftoppm: pixels elsewhere do not" \
		cmp -s "$work/before2.$kind.ppm" "$work/after2.$kind.ppm"
	# the image's left third differs from a QR/text-only appearance
	sign "$f" "$work/noimg.pdf" --rect 72,72,372,172 --name "Budi Santoso" \
		--reason Approved --qr "$qr"
	render_crop "$work/noimg.pdf" 74 74 60 96 "$work/noimg.$kind"
	render_crop "$o" 74 74 60 96 "$work/img.$kind"
	check "$b: $kind: pdftoppm: the image is drawn on the left" \
		differs "$work/noimg.$kind.ppm" "$work/img.$kind.ppm"
	if command -v zbarimg >/dev/null; then
		check "$b: $kind: zbarimg decodes the QR text" qr_ok "$o" "$qr"
	else
		echo "# skip - $b: $kind: zbarimg not installed (zbar-tools)"
	fi
}

if (pki_setup) >"$work/pki.log" 2>&1; then
	for b in xref-table.pdf pdftex-1.5-objstm.pdf; do
		[ -f "$corpus/$b" ] && blt "$corpus/$b" "$b" 1
	done
	[ -f "$corpus/bad-already-signed.pdf" ] &&
		blt "$corpus/bad-already-signed.pdf" bad-already-signed.pdf 2
else
	nok "test PKI (openssl CLI): $(tail -1 "$work/pki.log")"
fi

f=$corpus/xref-table.pdf
if [ -f "$f" ]; then
	# test images: a corpus page rendered by poppler as PNG (RGB) and JPEG
	pdftoppm -png -r 20 -f 1 -l 1 -singlefile "$f" "$work/logo" &&
		pdftoppm -jpeg -r 20 -f 1 -l 1 -singlefile "$f" "$work/logo"
	visible_img "$f" xref-table.pdf "$work/logo.png" png
	visible_img "$f" xref-table.pdf "$work/logo.jpg" jpeg
	sign "$f" "$work/badimg.pdf" --rect 72,72,372,172 --image "$corpus/README.md"
	check "xref-table.pdf: non-image refused (bad_option)" \
		refused_ok bad_option "$work/badimg.pdf"
	sign "$f" "$work/imgnorect.pdf" --image "$work/logo.png"
	check "xref-table.pdf: image without a rect refused (bad_option)" \
		refused_ok bad_option "$work/imgnorect.pdf"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
