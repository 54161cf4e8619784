# Shared by the benchmark's rows that run on an instance of their own
# (keytypes.sh, remote_token.sh, pg_store.sh):
#
#   . "$(dirname "$0")/common.sh" NAME "${1:-}"
#
# NAME prefixes messages and the work directory; the second argument is
# the build directory (default <repo>/build). Sets here, root, build,
# module (SoftHSM2), work and inst; removes $work on exit, after
# stop_daemon and the commands added with bench_on_exit.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(git -C "$here" rev-parse --show-toplevel 2>/dev/null || (cd "$here/../.." && pwd))
build=$(cd "${2:-$root/build}" && pwd)
bench_name=$1
say() { echo "$bench_name: $*" >&2; }
[ -x "$build/esignd" ] && [ -x "$build/cli/esignctl" ] ||
	{ echo "usage: $0 [BUILD_DIR]   (BUILD_DIR must hold esignd and cli/esignctl)" >&2; exit 2; }
module=/usr/lib/softhsm/libsofthsm2.so

# nearest_pdf [FILE]: FILE, else the corpus file nearest to 20 KB.
nearest_pdf() {
	local f=${1:-}
	[ -n "$f" ] || f=$(cd "$root/tests/corpus" && for f in *.pdf; do
		case $f in bad-* | damaged-*) continue ;; esac
		echo "$(awk -v s="$(stat -c %s "$f")" 'BEGIN { r = s / 20000; if (r < 1) r = 1 / r; print r }') $f"
	done | sort -g | head -n 1 | cut -d ' ' -f 2)
	[ -f "$f" ] || f=$root/tests/corpus/$f
	echo "$f"
}

work=$(mktemp -d "${TMPDIR:-/tmp}/esignd-$bench_name.XXXXXX")
inst=$work/inst
dpid=''
BENCH_ON_EXIT=()
bench_on_exit() { BENCH_ON_EXIT+=("$1"); }
stop_daemon() {
	[ -n "$dpid" ] || return 0
	kill -TERM "$dpid" 2>/dev/null || true
	wait "$dpid" 2>/dev/null || true
	dpid=''
}
bench_cleanup() {
	local c
	stop_daemon
	for c in "${BENCH_ON_EXIT[@]}"; do eval "$c" || true; done
	rm -rf "$work"
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

# tools: signbench in $sb and p11_baseline in $pb, unless SIGNBENCH and
# P11_BASELINE name built ones.
tools() {
	local cflags="-O2 -g -Wall -Wextra -Werror -pthread"
	sb=${SIGNBENCH:-}
	if [ -z "$sb" ]; then
		sb=$work/signbench
		# shellcheck disable=SC2046,SC2086
		cc $cflags -o "$sb" "$here/signbench.c" "$here/v2body.c" $(pkg-config --cflags --libs libcurl)
	fi
	pb=${P11_BASELINE:-}
	if [ -z "$pb" ]; then
		pb=$work/p11_baseline
		# shellcheck disable=SC2046,SC2086
		cc $cflags -o "$pb" "$here/p11_baseline.c" $(pkg-config --cflags p11-kit-1) -ldl
	fi
}

free_port() {
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
	done
	say "no free port"
	return 1
}

# init_instance: esignctl init into $inst on a free HTTPS $port.
init_instance() {
	port=$(free_port)
	"$build/cli/esignctl" init --dir "$inst" --https-port "$port" >"$work/init.log" 2>&1 ||
		{ cat "$work/init.log" >&2; return 1; }
	export SOFTHSM2_CONF=$inst/softhsm2.conf
}

# start_daemon [CONF]: esignd in the background until /v1/health is 200.
start_daemon() {
	"$build/esignd" -c "${1:-$inst/esignd.conf}" -f >>"$work/esignd.log" 2>&1 &
	dpid=$!
	for _ in $(seq 100); do
		kill -0 "$dpid" 2>/dev/null || break
		[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --cacert "$inst/ca.pem" \
			"https://127.0.0.1:$port/v1/health" || true)" = 200 ] && return 0
		sleep 0.1
	done
	say "esignd did not become ready"
	tail -n 20 "$work/esignd.log" >&2
	return 1
}

audit_records() {
	curl -s --max-time 10 --unix-socket "$inst/esignd.sock" http://localhost/v1/status |
		sed -n 's/.*"audit_records":\([0-9]*\).*/\1/p'
}
# field LINE NAME: NAME=VALUE from a signbench or p11_baseline RESULT line.
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }

# row KEY THREADS PROGRAM ARGS...: the RESULT line of a p11_baseline ($pb)
# or signbench run into R[KEY]; a signbench row must add one audit record
# per ok request (warm-ups: at most one per thread). Sets failed=1 when
# it does not or a request failed.
failed=0
declare -A R
row() {
	local k=$1 t=$2 a0 a1 out n ok daemon=1
	shift 2
	[ "$1" != "$pb" ] || daemon=0
	[ "$daemon" = 0 ] || a0=$(audit_records)
	say "measuring $k"
	out=$("$@" --threads "$t" 2>"$work/$k.err") || { cat "$work/$k.err" >&2; failed=1; }
	R[$k]=$(grep '^RESULT ' <<<"$out" | tail -n 1 || true)
	[ -n "${R[$k]}" ] || { say "$k: no result"; failed=1; return 0; }
	[ "$daemon" = 1 ] || return 0
	a1=$(audit_records)
	n=$(field "${R[$k]}" requests) ok=$(field "${R[$k]}" ok)
	if [ $((a1 - a0)) -lt "$ok" ] || [ $((a1 - a0)) -gt $((n + t)) ]; then
		say "$k: $((a1 - a0)) audit records for $ok seals"
		failed=1
	fi
}
