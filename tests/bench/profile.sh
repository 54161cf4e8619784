#!/usr/bin/env bash
# Where a seal's CPU time goes, in esignd's front and in its keeper: a
# throw-away instance, a stream of seals of one PDF, and the top functions
# by inclusive cost, for each process separately. See README.md
# ("Profiling a seal").
#
# usage: tests/bench/profile.sh [BUILD_DIR]     (default: <repo>/build)
# env:   PROFILE_TOOL=perf|callgrind  default: perf when `perf record -e
#                      cpu-clock` works here, else callgrind
#        PROFILE_ROUTE=seal|v2  seal: POST /v1/seal (default); v2: BSrE's
#                      POST /api/v2/seal/pdf, HTTP Basic, PROFILE_FILES
#                      files per call (default 10), on a seal of the
#                      registration authority with a seal code got
#                      through the v2 flow (HTTPS only)
#        PROFILE_PDF=FILE  default: the corpus file nearest to 140 KB
#                      (v2: to 20 KB)
#        PROFILE_TRANSPORT=https|unix   default https
#        PROFILE_SECONDS=S perf: seconds sampled under load (default 6)
#        PROFILE_THREADS=T perf: client threads (default: CPUs)
#        PROFILE_SEALS=N   callgrind: timed seals (default 40; +1 warm-up)
#        PROFILE_TOP=N     functions listed per process (default 30)
#        PROFILE_KEEP=DIR  copy the raw profiles (perf.data, callgrind.out) there
#
# perf samples the running daemon (cpu-clock, DWARF call graphs) as it is
# configured by `esignctl init`: the numbers are shares of real CPU time,
# kernel included (TCP, fsync). callgrind runs esignd under valgrind with
# keeper_threads = 1 and seccomp = no (valgrind's own system calls are not
# in the allowlist) and counts instructions from the first instruction of
# every thread (--toggle-collect=start_thread: the start-up in main() is
# left out; it needs libc's symbols, libc6-dbg): exact and repeatable, but
# instructions are not time (AES-NI and SHA-NI make crypto cheaper per
# instruction natively; system calls cost nothing there).
# Functions whose library has no symbols (libcrypto internals, SoftHSM,
# libmicrohttpd) show up under the nearest exported caller only.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(git -C "$here" rev-parse --show-toplevel 2>/dev/null ||
	(cd "$here/../.." && pwd))
build=${1:-$root/build}
if [ $# -gt 1 ] || [ ! -x "$build/esignd" ] || [ ! -x "$build/cli/esignctl" ]; then
	echo "usage: $0 [BUILD_DIR]   (BUILD_DIR must hold esignd and cli/esignctl)" >&2
	exit 2
fi
build=$(cd "$build" && pwd)
say() { echo "profile: $*" >&2; }

tool=${PROFILE_TOOL:-}
if [ -z "$tool" ]; then
	if command -v perf >/dev/null &&
		perf record -q -e cpu-clock -o /dev/null true >/dev/null 2>&1; then
		tool=perf
	elif command -v valgrind >/dev/null; then
		tool=callgrind
	else
		say "neither perf (with cpu-clock) nor valgrind is usable"
		exit 1
	fi
fi
case $tool in perf | callgrind) ;; *) say "PROFILE_TOOL must be perf or callgrind"; exit 2 ;; esac
transport=${PROFILE_TRANSPORT:-https}
case $transport in https | unix) ;; *) say "PROFILE_TRANSPORT must be https or unix"; exit 2 ;; esac
route=${PROFILE_ROUTE:-seal}
files=${PROFILE_FILES:-10}
case $route in
seal) files=1 ;;
v2) [ "$transport" = https ] || { say "PROFILE_ROUTE=v2 is HTTPS only"; exit 2; } ;;
*) say "PROFILE_ROUTE must be seal or v2"; exit 2 ;;
esac
case $files in [1-9] | [1-4][0-9] | 50) ;; *) say "PROFILE_FILES must be 1 to 50"; exit 2 ;; esac
secs=${PROFILE_SECONDS:-6}
threads=${PROFILE_THREADS:-$(nproc)}
seals=${PROFILE_SEALS:-40}
top=${PROFILE_TOP:-30}
pdf=${PROFILE_PDF:-}
if [ -z "$pdf" ]; then
	pdf=$(for f in "$root"/tests/corpus/*.pdf; do
		case ${f##*/} in bad-* | damaged-*) continue ;; esac
		printf '%s %s\n' "$(stat -c %s "$f")" "$f"
	done | awk -v t="$([ "$route" = v2 ] && echo 20000 || echo 140000)" '{
		d = log($1 / t); if (d < 0) d = -d
		if (best == "" || d < bd) { best = $2; bd = d } } END { print best }')
fi
[ -f "$pdf" ] || { say "no PDF (set PROFILE_PDF)"; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/esignd-profile.XXXXXX")
chmod 0755 "$work"
inst=$work/inst
dpid=
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
	local rc=$?
	stop_daemon
	if [ "$rc" -ne 0 ] && [ -s "$work/esignd.log" ]; then
		echo "profile: last lines of the daemon's log:" >&2
		tail -n 20 "$work/esignd.log" >&2
	fi
	rm -rf "$work"
	exit "$rc"
}
stop_daemon() {
	[ -n "$dpid" ] && kill -0 "$dpid" 2>/dev/null || return 0
	kill -TERM "$dpid" 2>/dev/null || true
	for _ in $(seq 900); do   # valgrind takes its time to write out
		kill -0 "$dpid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$dpid" 2>/dev/null; then
		say "esignd did not stop; killing it and its children"
		# shellcheck disable=SC2046  # a list of pids
		kill -KILL $(pgrep -P "$dpid" || true) "$dpid" 2>/dev/null || true
	fi
	wait "$dpid" 2>/dev/null || true
	dpid=
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# shellcheck disable=SC2046  # pkg-config's flags are words
cc -O2 -g -Wall -Wextra -Werror -pthread -o "$work/signbench" "$here/signbench.c" "$here/v2body.c" \
	$(pkg-config --cflags --libs libcurl)

port=
for _ in $(seq 50); do
	p=$((20000 + RANDOM % 40000))
	if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
done
[ -n "$port" ] || { say "no free port found"; exit 1; }
"$build/cli/esignctl" init --dir "$inst" --https-port "$port" >"$work/init.log" 2>&1 ||
	{ cat "$work/init.log" >&2; exit 1; }
export SOFTHSM2_CONF=$inst/softhsm2.conf
# v2: one seal code for every file of the run
[ "$route" = seal ] || printf 'seal_code_max_documents = 1000000\n' >>"$inst/esignd.conf"
launcher=()
if [ "$tool" = callgrind ]; then
	printf 'keeper_threads = 1\nseccomp = no\n' >>"$inst/esignd.conf"
	# the front writes its profile after dropping to `user`
	mkdir -m 1777 "$work/cg"
	launcher=(valgrind --tool=callgrind --trace-children=yes --collect-atstart=no
		--toggle-collect=start_thread --callgrind-out-file="$work/cg/callgrind.out.%p")
fi
# start_daemon [LAUNCHER...]: esignd in the foreground of a background job
start_daemon() {
	local ready=0
	"$@" "$build/esignd" -c "$inst/esignd.conf" -f >>"$work/esignd.log" 2>&1 &
	dpid=$!
	for _ in $(seq 600); do
		kill -0 "$dpid" 2>/dev/null || break
		if curl -s -o /dev/null --max-time 5 --unix-socket "$inst/esignd.sock" \
			http://localhost/v1/health; then
			ready=1
			break
		fi
		sleep 0.2
	done
	[ "$ready" = 1 ] || { say "esignd did not become ready"; exit 1; }
}
# v2: a seal of the registration authority (two verifiers, registration,
# approval, an API client granted it), then BSrE's flow as in
# tests/integration/t_bsre.sh: get/activation, the code from the
# maildir, get/totp for 1,000,000 files.
v2_seal() {
	local ctl="$build/cli/esignctl -c $inst/esignd.conf" n j id ac=''
	jf() { /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin)
for k in sys.argv[1].split("."): d=d[k]
print(d)' "$1"; }
	for n in va vb; do
		$ctl --json client add --name "prof-$n" --role verifier | jf token >"$work/$n.tok"
	done
	j=$($ctl --token-file "$work/va.tok" --json seal register --name "Profile Seal" \
		--email seal@profile.test --letter "$pdf")
	id=$(jf subscriber.id <<<"$j")
	$ctl --token-file "$work/vb.tok" request approve --id "$(jf request.id <<<"$j")" >/dev/null
	$ctl --json client add --name prof-sealer --role client --key "$id" | jf token >"$work/sealer.tok"
	v2c() {
		curl -s --max-time 30 --cacert "$inst/ca.pem" -u "prof-sealer:$(cat "$work/sealer.tok")" \
			-H 'Content-Type: application/json' -d "$2" "https://127.0.0.1:$port$1"
	}
	v2c /api/v2/seal/get/activation "{\"idSubscriber\":\"$id\"}" >/dev/null
	for _ in $(seq 100); do
		ac=$(grep -l '^To: seal@profile.test' "$inst"/mail/new/* 2>/dev/null |
			xargs -r grep -h -i -e 'kode aktivasi' -e 'activation code' |
			grep -o '[A-Z0-9]\{5\}-[A-Z0-9]\{5\}' | head -n 1)
		[ -z "$ac" ] || break
		sleep 0.1
	done
	[ -n "$ac" ] || { say "no activation mail"; return 1; }
	v2_code=$(v2c /api/v2/seal/get/totp "{\"idSubscriber\":\"$id\",\"data\":1000000,\"totp\":\"$ac\"}" |
		jf totp) || return 1
	v2_id=$id
}
# v2: the seal is set up on a plain daemon, then esignd restarts under
# the profiler, so that the seal's registration (its key generation) and
# activation are not in the profile; the seal code stays valid.
if [ "$route" = v2 ]; then
	v2_code='' v2_id=''
	start_daemon
	v2_seal || { say "the v2 seal could not be set up"; exit 1; }
	stop_daemon
fi
start_daemon "${launcher[@]}"

fpid='' kpid=''
for p in $(pgrep -P "$dpid" || true); do
	k=
	for fd in "/proc/$p/fd/"*; do
		case $(readlink "$fd" 2>/dev/null) in */data.mdb) k=1; break ;; esac
	done
	if [ -n "$k" ]; then kpid=$p; else fpid=$p; fi
done
if [ -z "$fpid" ] || [ -z "$kpid" ]; then
	say "cannot tell the front from the keeper"
	exit 1
fi

if [ "$transport" = https ]; then
	targs=(--url "https://127.0.0.1:$port" --cacert "$inst/ca.pem" --token-file "$inst/admin.token")
else
	targs=(--socket "$inst/esignd.sock")
fi
if [ "$route" = v2 ]; then
	sb=("$work/signbench" --mode v2-seal --file "$pdf" --url "https://127.0.0.1:$port"
		--cacert "$inst/ca.pem" --basic-user prof-sealer --token-file "$work/sealer.tok"
		--subscriber "$v2_id" --seal-code "$v2_code" --files "$files")
else
	sb=("$work/signbench" --mode seal --file "$pdf" "${targs[@]}" --key demo-seal)
fi
ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
hz=$(getconf CLK_TCK)

echo "esignd seal profile ($tool), $(date -u +%Y-%m-%dT%H:%M:%SZ)"
if [ "$route" = v2 ]; then
	echo "document: ${pdf##*/} ($(stat -c %s "$pdf") bytes), POST /api/v2/seal/pdf with $files file(s) per call, B-B"
	echo "(per seal below = per document: per call / $files)"
else
	echo "document: ${pdf##*/} ($(stat -c %s "$pdf") bytes), over $transport, key demo-seal, B-B"
fi
echo "machine: $(nproc) CPUs, load average $(cut -d ' ' -f 1-3 /proc/loadavg)"

# name [object]: the file part of callgrind's "file:function [object]"
# and perf's unresolved addresses left out
if [ "$tool" = perf ]; then
	say "sampling the front ($fpid) and the keeper ($kpid) for ${secs}s under $threads client thread(s)"
	f0=$(ticks "$fpid") k0=$(ticks "$kpid")
	"${sb[@]}" --threads "$threads" --seconds $((secs + 2)) >"$work/load.out" 2>"$work/load.err" &
	lpid=$!
	sleep 1
	perf record -e cpu-clock -F 499 --call-graph dwarf,16384 -p "$fpid" \
		-o "$work/front.data" -- sleep "$secs" 2>"$work/perf-front.err" &
	ppid1=$!
	perf record -e cpu-clock -F 499 --call-graph dwarf,16384 -p "$kpid" \
		-o "$work/keeper.data" -- sleep "$secs" 2>"$work/perf-keeper.err" &
	ppid2=$!
	wait "$ppid1" "$ppid2" || true
	wait "$lpid" || { cat "$work/load.err" >&2; say "some seals failed"; exit 1; }
	f1=$(ticks "$fpid") k1=$(ticks "$kpid")
	line=$(grep '^RESULT' "$work/load.out")
	ok=$(( $(sed -n 's/.* ok=\([0-9]*\).*/\1/p' <<<"$line") * files ))
	echo "load: $(sed -n 's/.*\(rps=[^ ]*\).*\(p50_ms=[^ ]*\).*/\1 \2/p' <<<"$line") with $threads thread(s);" \
		"CPU per seal (whole run, /proc/PID/stat): front $(awk -v a="$f0" -v b="$f1" -v n="$ok" -v hz="$hz" \
		'BEGIN { printf "%.2f", (b - a) * 1000 / hz / n }') ms, keeper $(awk -v a="$k0" -v b="$k1" -v n="$ok" \
		-v hz="$hz" 'BEGIN { printf "%.2f", (b - a) * 1000 / hz / n }') ms"
	for who in front keeper; do
		n=$(sed -n 's/.*(\([0-9]*\) samples).*/\1/p' "$work/perf-$who.err")
		echo
		echo "== $who: ${n:-?} samples at 499 Hz in ${secs}s (= $(awk -v n="${n:-0}" -v s="$secs" \
			'BEGIN { printf "%.2f", n / 499 / s }') CPUs); top $top by inclusive share (children)"
		perf report -i "$work/$who.data" --children --stdio --no-demangle -g none \
			--sort sym --percent-limit 1 2>/dev/null |
			awk '/^ *[0-9.]+%/ && $0 !~ /\] 0x[0-9a-f]+ *$/ { sub(/^ +/, ""); print }' |
			awk -v n="$top" 'NR <= n { s = $1; $1 = ""; $2 = ""; sub(/^ +/, ""); printf "  %7s  %s\n", s, $0 }'
	done
	[ -z "${PROFILE_KEEP:-}" ] || { mkdir -p "$PROFILE_KEEP"; cp "$work"/front.data "$work"/keeper.data "$PROFILE_KEEP"/; }
else
	say "running $seals seals (+1 warm-up) through esignd under callgrind"
	"${sb[@]}" --threads 1 --requests "$seals" >"$work/load.out" 2>"$work/load.err" ||
		{ cat "$work/load.err" >&2; say "some seals failed"; exit 1; }
	echo "load: $(grep '^RESULT' "$work/load.out" | sed 's/.*\(rps=[^ ]*\).*/\1/') under valgrind, 1 thread, keeper_threads = 1"
	stop_daemon
	for who in front keeper; do
		pid=$fpid
		[ "$who" = front ] || pid=$kpid
		f=$work/cg/callgrind.out.$pid
		[ -s "$f" ] || { say "no profile for the $who ($f)"; exit 1; }
		total=$(callgrind_annotate "$f" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
		echo
		echo "== $who: $(awk -v t="$total" -v n="$(((seals + 1) * files))" 'BEGIN { printf "%.1f", t / n / 1e6 }') M instructions per seal;" \
			"top $top by inclusive cost (% of the process's instructions)"
		callgrind_annotate --inclusive=yes --auto=no "$f" 2>/dev/null |
			awk '/^ *[0-9,]+ \( *[0-9.]+%\)/ && !/PROGRAM TOTALS/ && !/\?\?\?:0x/' |
			sed -E 's/^ *[0-9,]+ \( *([0-9.]+%)\) +([^ ]*:)?([^ :]+)( \[([^]]*)\])?$/\1 \3 \5/' |
			awk '{ o = $3; sub(/.*\//, "", o); printf "  %7s  %s%s\n", $1, $2, o ? " [" o "]" : "" }' |
			awk -v n="$top" '!seen[$2]++ && ++k <= n'
	done
	[ -z "${PROFILE_KEEP:-}" ] || { mkdir -p "$PROFILE_KEEP"; cp "$work"/cg/callgrind.out.* "$PROFILE_KEEP"/; }
fi
