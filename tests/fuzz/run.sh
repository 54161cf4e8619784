#!/bin/bash
# Builds the libFuzzer targets with clang and runs each for a while, then
# replays every saved crash input in regress/<family>/ (see README.md).
#
#   tests/fuzz/run.sh [SECONDS_PER_TARGET] [OUTDIR]
#
# SECONDS_PER_TARGET: argument, else $FUZZ_SECONDS, else 60 (0 = build and
# replay the regressions only). OUTDIR (default: a temporary directory,
# removed at the end) keeps the binaries, the grown corpus in
# OUTDIR/corpus/<target>/, crash artifacts in OUTDIR/artifacts/<target>/ and
# the logs; give the same OUTDIR again and the campaign goes on from the
# corpus it grew.
# Seeds: seeds/<family>/ (committed, minimised), plus the files of
# $FUZZ_EXTRA_SEEDS (a folder, optional) for the pdf family; IPC frames are
# generated below.
# Environment: CC (default clang), FUZZ_TARGETS (default every target of
# the table below), FUZZ_SECONDS_<family> (seconds for that family's
# targets instead, e.g. FUZZ_SECONDS_pdf=1800), FUZZ_TIMEOUT (seconds of
# wall time one input may take, default 10; a niced run on a busy machine
# can be starved that long: give it 60).
# Prints one line per target and "N passed, M failed"; exits non-zero on
# any failure (a crash, a failing regression input, a build error).
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

# The targets, one line each: the harness (<name>.c here), its family
# (seeds/<family>/, <family>.dict, regress/<family>/), -max_len, pkg-config
# packages and the product sources it links ("+common" = common/err.c,
# log.c and util.c; globs relative to the repository). A new target is a
# harness and one line here.
target_table='
fuzz_pdf_read   pdf      16384 libcrypto,zlib,libqrencode +common,pdf/*.c
fuzz_pdf_text   pdf      16384 libcrypto,zlib,libqrencode +common,pdf/*.c
fuzz_pdf_write  pdf      16384 libcrypto,zlib,libqrencode +common,pdf/*.c
fuzz_ipc        ipc      65536 libcrypto                  +common,daemon/ipc.c
fuzz_config     config   65536 libcrypto                  +common,daemon/config.c
fuzz_json       json     65536 jansson                    -
fuzz_ocsp       ocsp     65536 libcrypto                  +common,pki/ocsp.c,pki/tsa.c,pki/crl.c
fuzz_tsq        tsq      65536 libcrypto                  +common,pki/ocsp.c,pki/tsa.c,pki/crl.c
fuzz_v2files    v2files  65536 jansson,libcrypto          +common,api/v2files.c
fuzz_signedattrs signedattrs 4096 libcrypto               +common,pki/signedattrs.c
fuzz_revision   pdf      16384 libcrypto,zlib,libqrencode +common,pdf/*.c
'

secs=${1:-${FUZZ_SECONDS:-60}}
out=${2:-}
cc=${CC:-clang}
targets=${FUZZ_TARGETS:-$(echo "$target_table" | awk 'NF { print $1 }')}

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

# field TARGET N: column N of the target's row (empty if no such target)
field() {
	echo "$target_table" | awk -v t="$1" -v n="$2" '$1 == t { print $n }'
}
family() { field "$1" 2; }
max_len() { field "$1" 3; }
pkgs() { field "$1" 4 | tr ',' ' '; }
# sources TARGET: product sources (relative to the repo) the target needs
sources() {
	local s
	# shellcheck disable=SC2086 # the globs expand in the repository
	for s in $(field "$1" 5 | tr ',' ' '); do
		case "$s" in
		-) ;;
		+common) echo common/err.c common/log.c common/util.c ;;
		*) (cd "$repo" && echo $s) ;;
		esac
	done
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
	local t=$1 d=$2 f
	f=$(family "$t")
	mkdir -p "$d"
	if [ "$f" = ipc ]; then
		ipc_seeds "$d"
	elif [ -d "$here/seeds/$f" ]; then
		cp "$here/seeds/$f"/* "$d"/
	fi
	if [ "$f" = pdf ] && [ -d "${FUZZ_EXTRA_SEEDS:-}" ]; then
		find "$FUZZ_EXTRA_SEEDS" -maxdepth 1 -type f -name '*.pdf' \
			-exec cp {} "$d"/ \;
	fi
}

for t in $targets; do
	if [ -z "$(family "$t")" ]; then
		echo "$t: not in the target table of $0" >&2
		exit 2
	fi
done

# 1. Build: each product source once into OUTDIR/obj (instrumented, not
# linked with libFuzzer's main), then every harness linked against the
# objects it needs, all in parallel.
echo "=== building into $out ==="
objflags=("${cflags[@]/-fsanitize=fuzzer,/-fsanitize=fuzzer-no-link,}")
srcs=$(for t in $targets; do sources "$t"; done | tr ' ' '\n' | sort -u)
mkdir -p "$out/obj"
rm -f "$out/obj.failed"
# shellcheck disable=SC2016
echo "$srcs" | grep . | xargs -P "$(nproc)" -I{} sh -c '
	o="$1/obj/$(echo "$2" | tr / _).o"
	shift 2
	"$@" -c "$0" -o "$o" 2>"$o.log" || touch "$(dirname "$o")/../obj.failed"
' "$repo/{}" "$out" {} "$cc" "${objflags[@]}"
for t in $targets; do
	rm -f "$out/$t.built"
	(
		cd "$repo" || exit 1
		if [ -f "$out/obj.failed" ]; then
			cat "$out"/obj/*.log
			exit 1
		fi
		objs=$(for s in $(sources "$t"); do
			echo "$out/obj/$(echo "$s" | tr / _).o"
		done)
		# shellcheck disable=SC2046
		libs=$(pkg-config --libs $(pkgs "$t")) || exit 1
		# shellcheck disable=SC2086
		$cc "${cflags[@]}" -o "$out/$t" "$here/$t.c" $objs $libs &&
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
	cov=
	cpu=0
	wall=0
	fam=$(family "$t")
	art=$out/artifacts/$t
	mkdir -p "$art" "$out/corpus/$t"
	opts="-timeout=${FUZZ_TIMEOUT:-10} -rss_limit_mb=2048 -max_len=$(max_len "$t")"
	dict=$here/$fam.dict
	[ -f "$dict" ] && opts="$opts -dict=$dict"

	# 2. Fuzz. New inputs go to OUTDIR/corpus/<target>, seeds stay apart.
	tsecs_var=FUZZ_SECONDS_$fam
	tsecs=${!tsecs_var:-$secs}
	if [ "$tsecs" -gt 0 ]; then
		seeds=$out/seeds/$t
		rm -rf "$seeds"
		seed "$t" "$seeds"
		before=$(find "$art" -type f ! -name 'slow-unit-*' | wc -l)
		# The CPU time it got (user + system) as well as the wall time:
		# on a shared machine executions per CPU second is what the
		# target costs, executions per second what the run achieved.
		TIMEFORMAT='%U %S %R'
		# shellcheck disable=SC2086
		{ time "$out/$t" $opts -max_total_time="$tsecs" -print_final_stats=1 \
			-artifact_prefix="$art/" "$out/corpus/$t" "$seeds" \
			>"$out/$t.log" 2>&1; } 2>"$out/$t.cpu"
		rc=$?
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
			"$out/$t.log" | tail -1)
		cpu=$(awk '{ printf "%d", $1 + $2 + 0.5 }' "$out/$t.cpu")
		# A finding stops libFuzzer early: rates are over the time it ran.
		wall=$(awk '{ printf "%d", $3 + 0.5 }' "$out/$t.cpu")
		cov=$(grep -oE '(DONE|#[0-9]+) +cov: [0-9]+ ft: [0-9]+' \
			"$out/$t.log" | tail -1 | sed 's/.*cov/cov/')
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

	# 3. Replay the family's regression inputs, one process each.
	rpass=0
	rfail=0
	for f in "$here/regress/$fam"/*; do
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

	rate=
	if [ -n "$execs" ] && [ "$tsecs" -gt 0 ]; then
		rate=" ($((execs / (wall > 0 ? wall : 1)))/s, $((execs / (cpu > 0 ? cpu : 1))) per CPU second)"
	fi
	echo "$t: ${execs:-?} executions in ${wall}s of ${tsecs}s$rate," \
		"${cov:+$cov, }$crashes crash(es), regressions $rpass passed $rfail failed"
	if [ "$ok" -eq 1 ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
	fi
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
