# Shared helpers for the integration tests: each test creates its own
# instance (esignctl init) in a temporary directory, starts the real
# daemon, talks to it with real clients and prints one line per check.
#
#   . "$(dirname "$0")/lib.sh"  (with $1 = meson build dir)
#   esd_init; esd_start; check "what" cmd...; ...; finish
set -u

BUILD=${1:?usage: $0 BUILD_DIR}
BUILD=$(cd "$BUILD" && pwd)
ESIGND="$BUILD/esignd"
ESIGNCTL="$BUILD/cli/esignctl"
P11MOD=/usr/lib/softhsm/libsofthsm2.so
TMP=$(mktemp -d /tmp/esd-test.XXXXXX)
D="$TMP/inst"
PASS=0
FAIL=0
MASTER=

# The daemon and its children inherit these under a sanitizer build:
# a sanitizer report ends the process and is caught by finish().
# The front's seccomp filter allows neither what colours need (isatty is
# an ioctl) nor what the in-process symbolizer does (readlink, fork and
# exec of llvm-symbolizer), so reports are written without colours and
# with frames as module+offset; finish() names the frames (addr2line).
# daemon/sandbox.c prepares the runtimes for the filter.
export ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0:abort_on_error=1:color=never:symbolize=0
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-}:halt_on_error=1:print_stacktrace=1:color=never:symbolize=0

ok() { PASS=$((PASS + 1)); echo "ok - $*"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $*"; }

# check "description" command args...  (passes when the command succeeds)
check() {
	local what=$1
	shift
	if "$@" >"$TMP/check.out" 2>&1; then
		ok "$what"
	else
		not_ok "$what"
		sed 's/^/#   /' "$TMP/check.out" | head -20
	fi
}

# eq "description" expected actual
eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1 (expected '$2', got '$3')"
	fi
}

free_port() {
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 30000))
		if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then
			echo $p
			return
		fi
	done
	echo 18443
}

esd_init() {
	PORT=$(free_port)
	HTTP_PORT=$(free_port)
	[ "$HTTP_PORT" != "$PORT" ] || HTTP_PORT=$((PORT + 1))
	"$ESIGNCTL" init --dir "$D" --https-port "$PORT" --http-port "$HTTP_PORT" \
		>"$TMP/init.out" 2>&1 ||
		{ cat "$TMP/init.out"; echo "Bail out! esignctl init failed"; exit 1; }
	# An audit checkpoint (every 60 s by default) would change the state
	# between two state_sum calls; t_audit.sh sets its own.
	printf 'audit_checkpoint_seconds = 86400\n' >>"$D/esignd.conf"
	TOKEN=$(cat "$D/admin.token")
	URL="https://127.0.0.1:$PORT"
	PUB="http://127.0.0.1:$HTTP_PORT" # the distribution point
	SOCK="$D/esignd.sock"
	export SOFTHSM2_CONF="$D/softhsm2.conf"
	# ESD_STORE=postgresql: the same test on a throw-away PostgreSQL
	# server, the instance moved there as an operator would move it.
	if [ "${ESD_STORE:-lmdb}" = postgresql ]; then
		pg_start
		"$ESIGNCTL" store copy --from "lmdb:$D/state" --to "$PGURI" >"$TMP/copy.out" 2>&1 ||
			{ cat "$TMP/copy.out"; echo "Bail out! esignctl store copy failed"; exit 1; }
		printf 'store = %s\n' "$PGURI" >>"$D/esignd.conf"
	fi
}

# pg_start: a throw-away PostgreSQL server from the postgresql package's
# binaries, on a loopback port, run as nobody when the test runs as root
# (postgres refuses root), with databases "esignd" and "fresh"; sets
# PGBIN, PGPORT, PGURI and sql(). Skips the test (exit 77) without the
# server binaries. pg_up starts the server again after a test stopped it.
pg_start() {
	PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
	if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ] || [ ! -x "$PGBIN/pg_ctl" ]; then
		echo "1..0 # SKIP the postgresql server binaries (/usr/lib/postgresql/*/bin) are not installed"
		exit 77
	fi
	PSQL=$PGBIN/psql
	[ -x "$PSQL" ] || PSQL=psql
	if [ "$(id -u)" = 0 ]; then
		chmod 711 "$TMP"
		mkdir -m 700 "$TMP/pg" && chown nobody "$TMP/pg"
	else
		mkdir -m 700 "$TMP/pg"
	fi
	as_pg "$PGBIN/initdb" -D "$TMP/pg/data" -U esignd --auth=trust -E UTF8 >"$TMP/initdb.log" 2>&1 ||
		{ cat "$TMP/initdb.log"; echo "Bail out! initdb failed"; exit 1; }
	PGPORT=$(free_port)
	pg_up || { cat "$TMP/pg/server.log"; echo "Bail out! the PostgreSQL server did not start"; exit 1; }
	on_exit "as_pg '$PGBIN/pg_ctl' -D '$TMP/pg/data' -m fast stop >/dev/null 2>&1"
	sql postgres -c "CREATE DATABASE esignd" && sql postgres -c "CREATE DATABASE fresh" ||
		{ echo "Bail out! createdb failed"; exit 1; }
	PGURI="postgresql://esignd@127.0.0.1:$PGPORT/esignd"
	export PSQL PGPORT
}
pg_up() {
	as_pg "$PGBIN/pg_ctl" -D "$TMP/pg/data" -l "$TMP/pg/server.log" -w -o \
		"-p $PGPORT -k $TMP/pg -c listen_addresses=127.0.0.1 -c max_connections=100" start >/dev/null
}
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi; }
sql() { "$PSQL" -X -q -t -A -h 127.0.0.1 -p "$PGPORT" -U esignd -d "$@"; }

# lmdb_only "what": skips the test (exit 77) under ESD_STORE=postgresql,
# for a test of the LMDB files themselves.
lmdb_only() {
	if [ "${ESD_STORE:-lmdb}" != lmdb ]; then
		echo "1..0 # SKIP $1 (LMDB only; ESD_STORE=$ESD_STORE)"
		exit 77
	fi
}

# Starts the daemon in the foreground (background job) and waits for it.
esd_start() {
	"$ESIGND" -c "$D/esignd.conf" -f >>"$TMP/daemon.log" 2>&1 &
	MASTER=$!
	wait_health 10 || { cat "$TMP/daemon.log"; echo "Bail out! esignd did not start"; exit 1; }
}

esd_stop() {
	if [ -n "$MASTER" ] && kill -0 "$MASTER" 2>/dev/null; then
		kill -TERM "$MASTER"
		for _ in $(seq 100); do
			kill -0 "$MASTER" 2>/dev/null || break
			sleep 0.1
		done
		wait "$MASTER" 2>/dev/null
	fi
	MASTER=
}

# wait_health SECONDS: until /v1/health answers 200 over HTTPS.
wait_health() {
	local deadline=$((SECONDS + $1))
	while [ $SECONDS -lt "$deadline" ]; do
		[ "$(https_code /v1/health)" = 200 ] && return 0
		sleep 0.05
	done
	return 1
}

# https_code PATH [curl args...]: prints the HTTP status.
https_code() {
	local path=$1
	shift
	curl -s -o "$TMP/body" -w '%{http_code}' --cacert "$D/ca.pem" "$@" "$URL$path"
}

# unix_code PATH [curl args...]
unix_code() {
	local path=$1
	shift
	curl -s -o "$TMP/body" -w '%{http_code}' --unix-socket "$SOCK" "$@" "http://localhost$path"
}

body() { cat "$TMP/body"; }
# esd_verifiers: two verifier clients, va and vb, made by the admin; VA
# and VB run esignctl with their tokens.
esd_verifiers() {
	local n
	for n in va vb; do
		"$ESIGNCTL" -c "$D/esignd.conf" --json client add --name "$n" \
			--role verifier >"$TMP/$n.json" || return 1
		jget "$TMP/$n.json" token >"$TMP/$n.tok"
	done
	VA="$ESIGNCTL -c $D/esignd.conf --token-file $TMP/va.tok"
	VB="$ESIGNCTL -c $D/esignd.conf --token-file $TMP/vb.tok"
}

# jget FILE a.b.0.c: a field of a JSON file (list indexes as numbers).
jget() {
	/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d=d[int(k)] if isinstance(d,list) else d[k]
print(d)' "$@"
}
# json_err: the error code of the last body
json_err() { sed -n 's/.*"code":"\([a-z_]*\)".*/\1/p' "$TMP/body"; }

# The master's children, as its log names them when it starts them:
# "master[PID]: master: started keeper (pid N)".
keeper_pid() { started_pid keeper; }
front_pid() { started_pid front; }
started_pid() {
	local p
	p=$(sed -n "s/.*master\[$MASTER\]: master: started $1 (pid \([0-9]*\)).*/\1/p" \
		"$TMP/daemon.log" 2>/dev/null | tail -1)
	[ -n "$p" ] && kill -0 "$p" 2>/dev/null && echo "$p"
}

# store_dump: every record of the instance's store as printable text
# (mdb_dump -p, or the PostgreSQL table in key order), for fingerprints
# and for checks that a secret is stored nowhere in clear.
store_dump() {
	if [ "${ESD_STORE:-lmdb}" = postgresql ]; then
		sql esignd -c "SELECT db, encode(key, 'escape'), encode(value, 'escape') FROM esd_kv ORDER BY db, key"
	else
		mdb_dump -a -p "$D/state" 2>/dev/null
	fi
}

# store_strings: the printable strings of the store's files on disk (the
# LMDB file, or the PostgreSQL server's tables and WAL).
store_strings() {
	if [ "${ESD_STORE:-lmdb}" = postgresql ]; then
		find "$TMP/pg/data" -type f -exec strings {} +
	else
		strings "$D/state/data.mdb"
	fi
}
# store_check: the store opens and every record reads (mdb_stat and
# mdb_dump over the LMDB environment, or a scan of the PostgreSQL table).
store_check() {
	if [ "${ESD_STORE:-lmdb}" = postgresql ]; then
		sql esignd -c "SELECT count(*), sum(length(value)) FROM esd_kv" >/dev/null
	else
		mdb_stat -a "$D/state" >/dev/null && mdb_dump -a "$D/state" -f /dev/null
	fi
}
# store_flip DB SEQ OFFSET: flips the low bit of byte OFFSET of record SEQ
# (a big-endian u64 key) in database DB ("audit" or "checkpoints"), as
# someone with write access to the store would (tests/tools/lmdb_flip,
# or an UPDATE; the numbers are store/store.h's enum store_db).
store_flip() {
	if [ "${ESD_STORE:-lmdb}" = postgresql ]; then
		local id
		case $1 in audit) id=4 ;; checkpoints) id=5 ;; *) return 2 ;; esac
		[ "$(sql esignd -c "UPDATE esd_kv SET value = set_byte(value, $3, get_byte(value, $3) # 1)
			WHERE db = $id AND key = int8send($2) RETURNING 1")" = 1 ]
	else
		"$BUILD/tests/tools/lmdb_flip" "$D/state" "$@"
	fi
}
# For checks run under bash -c.
export -f store_dump store_strings sql
export D TMP

# State fingerprint: every record of every store database, once it has
# settled (two reads 0.2 s apart agree): the keeper's own background
# work (the mail outbox marking a delivered email) may still commit
# after the change a test waited for.
state_sum() {
	local a b
	b=$(store_dump | sha256sum | cut -d' ' -f1)
	for _ in $(seq 25); do
		a=$b
		sleep 0.2
		b=$(store_dump | sha256sum | cut -d' ' -f1)
		[ "$a" = "$b" ] && break
	done
	echo "$b"
}

# sanitizer_frames: a report on stdin with each "(module+0xOFFSET)" frame
# followed by its function and source line (reports are not symbolised
# in the process: see ASAN_OPTIONS above).
sanitizer_frames() {
	local line mod off
	while IFS= read -r line; do
		echo "$line"
		if [[ $line =~ \((/[^+\)]+)\+(0x[0-9a-f]+)\) ]]; then
			mod=${BASH_REMATCH[1]}
			off=${BASH_REMATCH[2]}
			addr2line -f -i -C -p -e "$mod" "$off" 2>/dev/null | sed 's/^/#       /'
		fi
	done
}

# Fronts killed by the seccomp filter (SIGSYS) that a test caused on purpose.
EXPECTED_SIGSYS=0

finish() {
	local sigsys
	esd_stop
	sigsys=$(grep -c 'killed by signal 31' "$TMP/daemon.log" 2>/dev/null)
	if [ "${sigsys:-0}" -gt "$EXPECTED_SIGSYS" ]; then
		not_ok "no front was killed by the seccomp filter unexpectedly"
		grep 'killed by signal 31' "$TMP/daemon.log"
	fi
	if grep -E "runtime error|AddressSanitizer|LeakSanitizer|UndefinedBehavior" \
		"$TMP/daemon.log" >/dev/null 2>&1; then
		not_ok "no sanitizer report in the daemon log"
		grep -E -A15 "runtime error|Sanitizer" "$TMP/daemon.log" | head -40 |
			sanitizer_frames
	fi
	echo "$PASS passed, $FAIL failed"
	if [ "$FAIL" -ne 0 ]; then
		echo "# the last lines of daemon.log (ESD_KEEP=1 keeps $TMP):"
		tail -30 "$TMP/daemon.log" 2>/dev/null | sed 's/^/#   /'
	fi
	[ "$FAIL" -eq 0 ]
}

# Nothing a test started outlives it, on any exit path (success, failure,
# "Bail out!", a timeout's SIGTERM from meson): the daemon is stopped, then
# every process below this shell and every process whose command line
# names $TMP (a daemon that detached, a browser profile) is ended, and
# $TMP is removed unless ESD_KEEP=1. A test adds its own steps with
# on_exit "command".
ESD_ON_EXIT=()
on_exit() { ESD_ON_EXIT+=("$1"); }
esd_descendants() {
	local c
	for c in $(pgrep -P "$1"); do
		esd_descendants "$c"
		echo "$c"
	done
}
esd_kill_all() {
	local pids p i alive
	pids="$(esd_descendants $$) $(pgrep -f -- "$TMP/")"
	pids=$(for p in $pids; do [ "$p" != $$ ] && [ "$p" != "$BASHPID" ] && echo "$p"; done)
	[ -n "$pids" ] || return 0
	# shellcheck disable=SC2086
	kill -TERM $pids 2>/dev/null
	for i in $(seq 50); do
		alive=
		for p in $pids; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ -n "$alive" ] || return 0
		sleep 0.1
	done
	# shellcheck disable=SC2086
	kill -KILL $pids 2>/dev/null
	return 0
}
esd_cleanup() {
	local rc=$? cmd
	trap - EXIT INT TERM HUP
	for cmd in "${ESD_ON_EXIT[@]}"; do eval "$cmd" 2>/dev/null; done
	esd_stop 2>/dev/null
	esd_kill_all
	if [ -n "${ESD_KEEP:-}" ]; then
		echo "# kept $TMP"
	else
		rm -rf "$TMP"
	fi
	exit "$rc"
}
trap esd_cleanup EXIT
trap 'exit 143' INT TERM HUP

# The PDF corpus: $ESD_CORPUS, else the repository's tests/corpus.
CORPUS=${ESD_CORPUS:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../corpus" && pwd)}
# The test helpers in tests/tools/ (letter_pdf.py).
TOOLS=$(cd "$(dirname "${BASH_SOURCE[0]}")/../tools" && pwd)

# mail_code ADDR: the newest code (XXXXX-XXXXX) emailed to ADDR (the
# instance's maildir), waiting up to 10 s.
mail_code() {
	for _ in $(seq 100); do
		local c
		c=$(grep -l "^To: $1" "$D"/mail/new/* 2>/dev/null | xargs -r ls -t | head -1 | \
			xargs -r grep -h -o '[A-Z0-9]\{5\}-[A-Z0-9]\{5\}' | head -1)
		[ -n "$c" ] && { echo "$c"; return; }
		sleep 0.1
	done
}

# totp VAR SECRET: sets VAR to an authenticator code (oathtool) for the
# earliest 30-second step the server still takes (one either side of now)
# after the last one this test used: the server takes each account's
# steps strictly upwards. Waits only when three codes were used within
# one step. A code for the step before now is used only with 5 s left.
TOTP_LAST=0
totp() {
	local now s want
	while :; do
		now=$(date +%s)
		s=$((now / 30))
		want=$((s - 1))
		[ $((now % 30)) -lt 25 ] || want=$s
		[ "$want" -gt "$TOTP_LAST" ] || want=$((TOTP_LAST + 1))
		[ "$want" -le $((s + 1)) ] && break
		sleep $((30 - now % 30))
	done
	TOTP_LAST=$want
	printf -v "$1" '%s' "$(oathtool --totp -b "$2" -N "@$((want * 30))")"
}

widget_rect() { # the signature widget's /Rect, rounded: "x1 y1 x2 y2"
	qpdf --json=2 --json-key=qpdf "$1" | /usr/bin/python3 -c 'import json,sys
o=json.load(sys.stdin)["qpdf"][1]
for v in o.values():
	d=v.get("value",{})
	if isinstance(d,dict) and d.get("/FT")=="/Sig" and "/Rect" in d:
		print(" ".join(str(round(float(x))) for x in d["/Rect"]))'
}

# cms_of PDF OUT_PREFIX: writes OUT_PREFIX.der (the last signature's
# /Contents, DER) and OUT_PREFIX.data (the bytes its /ByteRange covers).
cms_of() {
	local f=$1 out=$2 b c
	set -- $(grep -a -o '/ByteRange *\[[0-9 ]*\]' "$f" | tail -1 | tr -dc '0-9 ')
	b=$2
	c=$3
	dd if="$f" bs=4096 iflag=skip_bytes,count_bytes skip=$((b + 1)) \
		count=$((c - b - 2)) status=none | xxd -r -p >"$out.der"
	{ head -c "$b" "$f"; tail -c +$((c + 1)) "$f"; } >"$out.data"
}

# tst_of CMS_DER_PREFIX: from PREFIX.der (a signature's CMS), writes
# PREFIX.tst (its signature timestamp token) and PREFIX.sigval (the
# signature value the token stamps); fails if there is no token.
tst_of() {
	local tl tok off hl len
	openssl asn1parse -inform DER -in "$1.der" -i >"$1.asn1" || return 1
	tl=$(grep -n 'id-smime-aa-timeStampToken' "$1.asn1" | cut -d: -f1 | head -1)
	[ -n "$tl" ] || return 1
	# The token is the SEQUENCE inside the attribute's SET; the signature
	# value is the OCTET STRING right before the unsigned attributes.
	tok=$(sed -n "$((tl + 2))p" "$1.asn1")
	off=${tok%%:*}
	hl=$(echo "$tok" | sed -n 's/.*hl=\([0-9]*\).*/\1/p')
	len=$(echo "$tok" | sed -n 's/.*l= *\([0-9]*\) cons.*/\1/p')
	dd if="$1.der" of="$1.tst" bs=1 skip=$((off)) count=$((hl + len)) status=none
	sed -n "$((tl - 3))p" "$1.asn1" | sed 's/.*HEX DUMP\]://' | xxd -r -p >"$1.sigval"
}
