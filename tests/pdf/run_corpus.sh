#!/bin/bash
# Signs every file of the shared PDF corpus with pdfsign_tool and lets real
# tools judge the result (qpdf --check, pdfsig), as the corpus README asks.
#
#   tests/pdf/run_corpus.sh BUILD_DIR
#
# Corpus: $ESD_CORPUS, else <parent of the repository>/shared/corpus.
# Tool:   $PDFSIGN_TOOL, else BUILD_DIR/tests/pdf/pdfsign_tool.
# Prints "ok - ..." / "not ok - ..." per check and "N passed, M failed".
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
corpus=${ESD_CORPUS:-$(dirname "$repo")/shared/corpus}
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
for t in qpdf pdfsig openssl; do
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
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
