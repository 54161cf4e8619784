#!/usr/bin/env bash
# Observability: JSON-lines logs (log_format = json), syslog priority
# prefixes when stderr is journald's stream (JOURNAL_STREAM), and the
# certificate-expiry gauges of /metrics.
. "$(dirname "$0")/lib.sh"
esd_init
printf 'log_format = json\n' >>"$D/esignd.conf"
esd_start
curl -s -o /dev/null --cacert "$D/ca.pem" "$URL/v1/status"
code=$(https_code /metrics)
eq "GET /metrics is 200" 200 "$code"
check "it has an expiry gauge for the demo seal certificate" \
	grep -q '^esignd_certificate_not_after_seconds{key="demo-seal",serial="[0-9a-f]*"} [0-9]*$' "$TMP/body"
NA=$(sed -n 's/^esignd_certificate_not_after_seconds{key="demo-seal",[^}]*} //p' "$TMP/body")
check "... a time in the future, about two years ahead" test "$NA" -gt $(( $(date +%s) + 700 * 86400 ))
check "... the gauge is declared (HELP, TYPE)" grep -q '^# TYPE esignd_certificate_not_after_seconds gauge' "$TMP/body"
esd_stop
check "every log line is a JSON object with time, level, proc, pid, msg" /usr/bin/python3 -c '
import json,sys
n=0
for line in open(sys.argv[1]):
    if not line.startswith("{"): continue
    d=json.loads(line); n+=1
    assert set(d) == {"time","level","proc","pid","msg"}, d
assert n > 3
' "$TMP/daemon.log"
check "no log line is plain text" bash -c "! grep -v '^{' '$TMP/daemon.log' | grep -q ' info '"
# journald: stderr is the stream named by JOURNAL_STREAM (dev:ino).
sed -i 's/^log_format = json$//' "$D/esignd.conf"
: >"$TMP/journal.log"
JS=$(stat -c '%d:%i' "$TMP/journal.log")
JOURNAL_STREAM=$JS "$ESIGND" -c "$D/esignd.conf" -f 2>>"$TMP/journal.log" &
MASTER=$!
wait_health 10
esd_stop
check "under journald, lines carry syslog priorities instead of a time" \
	grep -q '^<6>master\[[0-9]*\]: master: serving' "$TMP/journal.log"
check "... and no line has its own timestamp" bash -c "! grep -q '^20[0-9][0-9]-' '$TMP/journal.log'"
finish
