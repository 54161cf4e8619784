#!/usr/bin/env bash
# The audit log: a hash chain with checkpoints signed by the audit key on
# the token; verification names the first tampered record; export for a
# SIEM as JSON lines.
. "$(dirname "$0")/lib.sh"
esd_init
sed -i 's/^audit_checkpoint_seconds = .*/audit_checkpoint_seconds = 1/' "$D/esignd.conf"
printf 'audit_checkpoint_records = 5\n' >>"$D/esignd.conf"
esd_start
CTL="$ESIGNCTL -c $D/esignd.conf"

# Two rounds of signatures, each followed by a signed checkpoint.
for round in 1 2; do
	for i in $(seq 6); do
		$CTL keys sign --key demo-seal --digest "$(printf '%064x' "$round$i")" >/dev/null
	done
	for _ in $(seq 50); do
		$CTL --json audit verify | grep -q "\"checkpoints\": [$round-9]" && break
		sleep 0.1
	done
done
check "esignctl audit verify: intact" $CTL audit verify
$CTL --json audit verify >"$TMP/v.json"
check "at least 2 signed checkpoints exist" grep -q '"checkpoints": [2-9]' "$TMP/v.json"
N=$(sed -n 's/.*"records": \([0-9]*\).*/\1/p' "$TMP/v.json")

$CTL audit export >"$TMP/export.jsonl"
eq "audit export writes one JSON line per record" "$N" "$(grep -c '^{' "$TMP/export.jsonl")"
check "the lines name who did what" grep -q '"action":"keys.sign".*"actor":"uid:' "$TMP/export.jsonl"
check "export --since 10 starts at record 10" bash -c \
	"$CTL audit export --since 10 | head -1 | grep -q '\"seq\":10,'"
check "no secret in the export (PIN, token)" bash -c \
	"! grep -q -F -e '$(cat "$D/pin")' -e '$TOKEN' '$TMP/export.jsonl'"
eq "export with a bad --since is a usage error" 2 "$($CTL audit export --since x >/dev/null 2>&1; echo $?)"

# Tampering: flip one byte of one stored record (daemon stopped).
esd_stop
check "flip a byte inside record 7's JSON" store_flip audit 7 60
esd_start
$CTL audit verify >"$TMP/out" 2>&1
eq "audit verify fails (exit 1)" 1 $?
check "... and names record 7" grep -q "BROKEN at record 7" "$TMP/out"
esd_stop
store_flip audit 7 60
check "flip a byte of record 3's stored hash" store_flip audit 3 5
esd_start
check "audit verify names record 3" bash -c "$CTL audit verify | grep -q 'BROKEN at record 3'"
esd_stop
store_flip audit 3 5
esd_start
check "with both bytes restored the chain verifies again" $CTL audit verify

# A checkpoint whose signature no longer verifies is reported.
esd_stop
CP=$(sed -n 's/.*"first_checkpoint": \([0-9]*\).*/\1/p' "$TMP/v.json")
check "flip a byte of the first checkpoint's signature" store_flip checkpoints "$CP" 150
esd_start
$CTL audit verify >"$TMP/out" 2>&1
eq "audit verify fails on the forged checkpoint (exit 1)" 1 $?
check "... naming the checkpoint" grep -q "checkpoint $CP does not verify" "$TMP/out"
finish
