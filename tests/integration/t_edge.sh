#!/usr/bin/env bash
# The HTTP edge (docs/security.md, "HTTP edge"): hostile raw requests
# over TLS from edge_probe.py, one case of the edge per run:
#   1 media type on the BSrE v1 routes     4 a chunk line past the buffer
#   2 size limit at the header stage       5 strict parsing (RFC 9112 §6.3)
#   3 deadlines, rate floor and headroom   6 HSTS, HEAD, login enumeration
# Usage: t_edge.sh BUILD_DIR CASE
CASE=${2:?usage: $0 BUILD_DIR CASE}
. "$(dirname "$0")/lib.sh"
esd_init
MAX=1048576
sed -i "s/^max_body = .*/max_body = $MAX/" "$D/esignd.conf"
cat >>"$D/esignd.conf" <<EOC
header_timeout = 3
body_min_rate = 1024
EOC
if [ "$CASE" = 3 ]; then
	# 1,024 connections held open: the daemon and the probe need the
	# descriptors (the probe raises its own soft limit).
	ulimit -n "$(ulimit -Hn)" 2>/dev/null
	[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge 4096 ] ||
		{ echo "1..0 # SKIP ulimit -n is $(ulimit -n), 4096 needed"; exit 77; }
fi
esd_start
PROBE="$(dirname "$0")/edge_probe.py"
probe() {
	local out rc
	out=$(timeout 120 /usr/bin/python3 "$PROBE" "$PORT" "$D/ca.pem" "$TOKEN" "$MAX" "$@" 2>&1)
	rc=$?
	echo "$out"
	PASS=$((PASS + $(grep -c '^ok - ' <<<"$out")))
	FAIL=$((FAIL + $(grep -c '^not ok - ' <<<"$out")))
	[ $rc -eq 0 ] || grep -q '^not ok - ' <<<"$out" || not_ok "edge_probe.py $* exited $rc"
}
probe "$CASE"
if [ "$CASE" = 3 ]; then
	# The flood, with a header deadline longer than the test: the
	# connections stay and only the headroom keeps the front reachable.
	esd_stop
	sed -i 's/^header_timeout = .*/header_timeout = 120/' "$D/esignd.conf"
	esd_start
	probe 3flood
fi
if [ "$CASE" = 6 ]; then
	check "the admin creates a staff account" "$ESIGNCTL" -c "$D/esignd.conf" \
		user create --name siti --email siti@agency.go.id --role verifier --lang en
	probe 6login siti
fi
# Whatever came before, nothing answered 5xx, and the front still serves.
eq "health answers 200 afterwards" 200 "$(https_code /v1/health)"
check "no 5xx was answered (metrics)" bash -c \
	"! curl -s --unix-socket '$SOCK' http://localhost/metrics | grep -E 'status=\"5[0-9][0-9]\"|code=\"5[0-9][0-9]\"' | grep -v ' 0$'"
finish
