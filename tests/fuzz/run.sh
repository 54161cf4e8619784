#!/bin/bash
# Builds the libFuzzer targets with clang and runs each for a while, then
# replays every saved crash input in regress/<target>/ (see README.md).
#
#   tests/fuzz/run.sh [SECONDS_PER_TARGET] [OUTDIR]
#
# SECONDS_PER_TARGET: argument, else $FUZZ_SECONDS, else 60 (0 = build and
# replay the regressions only). OUTDIR (default: a temporary directory,
# removed at the end) keeps the binaries, the grown corpus in
# OUTDIR/corpus/<target>/, crash artifacts in OUTDIR/artifacts/<target>/ and
# the logs; reuse it to continue a campaign.
# Seeds: seeds/<target>/, plus the PDF corpus ($ESD_CORPUS, else the
# repository's tests/corpus) for fuzz_pdf, and IPC frames
# generated below for fuzz_ipc.
# Environment: CC (default clang), FUZZ_TARGETS (default all of them).
# Prints one line per target and "N passed, M failed"; exits non-zero on
# any failure (a crash, a failing regression input, a build error).
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
corpus=${ESD_CORPUS:-$repo/tests/corpus}
secs=${1:-${FUZZ_SECONDS:-60}}
out=${2:-}
cc=${CC:-clang}
targets=${FUZZ_TARGETS:-"fuzz_pdf fuzz_ipc fuzz_config fuzz_json fuzz_ocsp fuzz_tsq fuzz_v2files"}

case "$secs" in
'' | *[!0-9]*) echo "usage: $0 [SECONDS_PER_TARGET] [OUTDIR]" >&2; exit 2 ;;
esac
if [ -z "$out" ]; then
	out=$(mktemp -d)
	trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out" || exit 2
out=$(cd "$out" && pwd)

command -v "$cc" >/dev/null || { echo "$cc not found (libFuzzer needs clang)" >&2; exit 2; }

cflags=(-std=gnu11 -g -O1 -fno-omit-frame-pointer -Wall -Wextra -Werror
	'-fsanitize=fuzzer,address,undefined' -fno-sanitize-recover=undefined
	-D_GNU_SOURCE -DOPENSSL_API_COMPAT=30000 '-DESD_VERSION="fuzz"'
	"-I$repo")
common="common/err.c common/log.c common/util.c"

# sources TARGET: product sources (relative to the repo) the target needs
sources() {
	case "$1" in
	fuzz_pdf) (cd "$repo" && echo "$common" pdf/*.c) ;;
	fuzz_ocsp | fuzz_tsq) echo "$common pki/ocsp.c pki/tsa.c pki/crl.c" ;;
	fuzz_ipc) echo "$common daemon/ipc.c" ;;
	fuzz_config) echo "$common daemon/config.c" ;;
	fuzz_json) echo "" ;;
	fuzz_v2files) echo "$common api/v2files.c" ;;
	esac
}
pkgs() {
	case "$1" in
	fuzz_pdf) echo "libcrypto zlib libqrencode" ;;
	fuzz_ocsp | fuzz_tsq) echo "libcrypto" ;;
	fuzz_ipc | fuzz_config) echo "libcrypto" ;;
	fuzz_json) echo "jansson" ;;
	fuzz_v2files) echo "jansson libcrypto" ;;
	esac
}
max_len() {
	case "$1" in
	fuzz_pdf) echo $((1 << 20)) ;;
	*) echo $((64 << 10)) ;;
	esac
}

# ipc_seeds DIR: a few well-formed and broken frames (u32 len, u16 type,
# i16 status, payload) followed by ibuf-style payload fields
ipc_seeds() {
	local d=$1
	printf '\0\0\0\0\0\1\0\0' >"$d/empty"
	printf '\0\0\0\x0d\0\x02\0\0\0\0\0\x05hello\0\0\0\0' >"$d/str"
	printf '\0\0\0\x04\0\x03\xff\xf0abcd\0\0\0\x01\0\x04\0\0' >"$d/two-frames"
	printf '\0\0\0\x10\0\x05\0\0\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c' >"$d/truncated"
	printf '\xff\xff\xff\xff\0\0\0\0' >"$d/too-long"
	printf '\0\0\0\x09\0\x06\0\x01\x03\0\0\0\x04\x00abc' >"$d/bad-status"
}

# seed TARGET DIR: fills DIR with the target's seeds
seed() {
	local t=$1 d=$2
	mkdir -p "$d"
	case "$t" in
	fuzz_pdf)
		# small hand-made files mutate fast; the corpus brings variety
		cp "$here"/seeds/pdf/* "$d"/
		if [ -d "$corpus" ]; then
			cp "$corpus"/* "$d"/ 2>/dev/null
			rm -f "$d"/*.md
		else
			echo "  (no PDF corpus at $corpus: tiny seeds only)"
		fi
		;;
	fuzz_ipc) ipc_seeds "$d" ;;
	*)
		local s=$here/seeds/${t#fuzz_}
		[ -d "$s" ] && cp "$s"/* "$d"/
		;;
	esac
}

# 1. Build every target in parallel.
echo "=== building into $out ==="
for t in $targets; do
	rm -f "$out/$t.built"
	(
		cd "$repo" || exit 1
		# shellcheck disable=SC2046
		libs=$(pkg-config --libs $(pkgs "$t")) || exit 1
		# shellcheck disable=SC2046,SC2086
		$cc "${cflags[@]}" -o "$out/$t" "$here/$t.c" $(sources "$t") $libs &&
			touch "$out/$t.built"
	) >"$out/$t.build.log" 2>&1 &
done
wait

pass=0
fail=0
for t in $targets; do
	echo "=== $t ==="
	if [ ! -f "$out/$t.built" ]; then
		echo "$t: build failed:"
		cat "$out/$t.build.log"
		fail=$((fail + 1))
		continue
	fi
	ok=1
	execs=0
	crashes=0
	art=$out/artifacts/$t
	mkdir -p "$art" "$out/corpus/$t"
	opts="-timeout=10 -rss_limit_mb=2048 -max_len=$(max_len "$t")"
	dict=$here/${t#fuzz_}.dict
	[ -f "$dict" ] && opts="$opts -dict=$dict"

	# 2. Fuzz. New inputs go to OUTDIR/corpus/<target>, seeds stay apart.
	if [ "$secs" -gt 0 ]; then
		seeds=$out/seeds/$t
		rm -rf "$seeds"
		seed "$t" "$seeds"
		before=$(find "$art" -type f ! -name 'slow-unit-*' | wc -l)
		# shellcheck disable=SC2086
		"$out/$t" $opts -max_total_time="$secs" -print_final_stats=1 \
			-artifact_prefix="$art/" "$out/corpus/$t" "$seeds" \
			>"$out/$t.log" 2>&1
		rc=$?
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
			"$out/$t.log" | tail -1)
		crashes=$(($(find "$art" -type f ! -name 'slow-unit-*' | wc -l) - before))
		if [ "$rc" -ne 0 ] || [ "$crashes" -gt 0 ]; then
			ok=0
			[ "$crashes" -gt 0 ] || crashes=1
			echo "$t: libFuzzer exit $rc; the report (from $out/$t.log):"
			grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|    #[0-9] )' \
				"$out/$t.log" | head -30
			find "$art" -type f ! -name 'slow-unit-*' -newer "$out/$t.build.log" |
				sed 's/^/  artifact: /'
		fi
	fi

	# 3. Replay the regression inputs, one process each.
	rpass=0
	rfail=0
	for f in "$here/regress/$t"/*; do
		[ -f "$f" ] || continue
		if "$out/$t" -timeout=10 -rss_limit_mb=2048 "$f" \
			>"$out/$t.regress.log" 2>&1; then
			rpass=$((rpass + 1))
		else
			rfail=$((rfail + 1))
			ok=0
			echo "$t: regression input fails: ${f#"$repo"/}"
			grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' \
				"$out/$t.regress.log" | head -5
		fi
	done

	echo "$t: ${execs:-?} executions in ${secs}s, $crashes crash(es)," \
		"regressions $rpass passed $rfail failed"
	if [ "$ok" -eq 1 ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
	fi
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
