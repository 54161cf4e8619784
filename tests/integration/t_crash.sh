#!/usr/bin/env bash
# Crash consistency: seals, key generations and registration-authority
# changes (registrations, approvals) run while the keeper, the
# front or the master are killed with SIGKILL at random moments
# (CRASH_KILLS, default 200). Afterwards every operation that was answered
# with success is present, the audit chain verifies and LMDB opens clean.
. "$(dirname "$0")/lib.sh"
KILLS=${CRASH_KILLS:-200}
esd_init
esd_start
CTL="$ESIGNCTL -c $D/esignd.conf"
AUTH="Authorization: Bearer $TOKEN"
esd_verifiers
VAH="Authorization: Bearer $(cat "$TMP/va.tok")"
VBH="Authorization: Bearer $(cat "$TMP/vb.tok")"

# The load: hash-only seals (the digest is what the audit record keeps)
# and key generations; every acknowledged one is written down.
load() {
	local i=0 dg code
	while [ ! -e "$TMP/stop" ]; do
		i=$((i + 1))
		dg=$(printf '%064x' "$((RANDOM * 32768 + RANDOM))$i")
		code=$(curl -s -o /dev/null -w '%{http_code}' -m 10 --cacert "$D/ca.pem" -H "$AUTH" \
			-d "{\"digest\":\"$dg\"}" "$URL/v1/seal/hash" 2>/dev/null)
		[ "$code" = 200 ] && echo "$dg" >>"$TMP/acked_seals"
		if [ $((i % 10)) = 0 ]; then
			code=$(curl -s -o /dev/null -w '%{http_code}' -m 20 --unix-socket "$SOCK" \
				-d "{\"label\":\"crash-$i\",\"type\":\"ec-p256\"}" http://localhost/v1/keys 2>/dev/null)
			[ "$code" = 201 ] && echo "crash-$i" >>"$TMP/acked_keys"
		fi
		# A registration by one verifier, the approval of an earlier
		# one by the other: both are changes with emails and audit.
		if [ $((i % 5)) = 0 ]; then
			code=$(curl -s -o "$TMP/reg.json" -w '%{http_code}' -m 10 --cacert "$D/ca.pem" -H "$VAH" \
				-d "{\"name\":\"Crash $i\",\"nik\":\"$(printf '31%014d' "$i")\",\"email\":\"c$i@agency.go.id\",\"unit\":\"U\"}" \
				"$URL/v1/ra/individuals" 2>/dev/null)
			[ "$code" = 201 ] && jget "$TMP/reg.json" request.id >>"$TMP/acked_regs"
		fi
		if [ $((i % 7)) = 0 ] && [ -s "$TMP/acked_regs" ]; then
			r=$(shuf -n 1 "$TMP/acked_regs")
			code=$(curl -s -o /dev/null -w '%{http_code}' -m 10 --cacert "$D/ca.pem" -H "$VBH" \
				-X POST "$URL/v1/ra/requests/$r/approve" 2>/dev/null)
			[ "$code" = 200 ] && echo "$r" >>"$TMP/acked_approvals"
		fi
	done
}
: >"$TMP/acked_seals"
: >"$TMP/acked_keys"
: >"$TMP/acked_regs"
: >"$TMP/acked_approvals"
load &
LOAD=$!

killed_master=0
start=$SECONDS
for k in $(seq "$KILLS"); do
	sleep "0.0$((RANDOM % 10))"
	case $((RANDOM % 10)) in
	0)	# the master: the whole daemon goes; start it again
		kill -9 "$MASTER" 2>/dev/null
		for _ in $(seq 500); do pgrep -f "[e]signd -c $D/esignd.conf" >/dev/null || break; sleep 0.02; done
		{ wait "$MASTER"; } 2>/dev/null
		"$ESIGND" -c "$D/esignd.conf" -f >>"$TMP/daemon.log" 2>&1 &
		MASTER=$!
		killed_master=$((killed_master + 1)) ;;
	[1-5])	kill -9 "$(keeper_pid)" 2>/dev/null ;;
	*)	kill -9 "$(front_pid)" 2>/dev/null ;;
	esac
	wait_health 10 || { not_ok "esignd did not come back after kill $k"; break; }
done
elapsed=$((SECONDS - start))
touch "$TMP/stop"
wait "$LOAD"
eq "all $KILLS kills ($killed_master of the master, ${elapsed}s) were survived" "$KILLS" "$k"
check "the daemon serves after the kills" wait_health 5

# Nothing acknowledged is lost.
$CTL audit export >"$TMP/audit.jsonl"
missing=0
while read -r dg; do
	grep -q "\"document_sha256\":\"$dg\"" "$TMP/audit.jsonl" || missing=$((missing + 1))
done <"$TMP/acked_seals"
eq "every acknowledged seal ($(wc -l <"$TMP/acked_seals")) has its audit record" 0 "$missing"
check "some seals were acknowledged" test -s "$TMP/acked_seals"
$CTL keys list >"$TMP/keys.txt"
missing=0
while read -r l; do grep -q "^$l " "$TMP/keys.txt" || missing=$((missing + 1)); done <"$TMP/acked_keys"
eq "every acknowledged key generation ($(wc -l <"$TMP/acked_keys")) is there" 0 "$missing"
$CTL --json request list --limit 1000 >"$TMP/requests.json"
missing=0
while read -r r; do grep -q "\"id\": \"$r\"" "$TMP/requests.json" || missing=$((missing + 1)); done <"$TMP/acked_regs"
eq "every acknowledged registration ($(wc -l <"$TMP/acked_regs")) is queued" 0 "$missing"
missing=0
while read -r r; do
	/usr/bin/python3 -c 'import json,sys
d={q["id"]: q for q in json.load(open(sys.argv[1]))["requests"]}
sys.exit(0 if d[sys.argv[2]]["state"] == "approved" else 1)' "$TMP/requests.json" "$r" || missing=$((missing + 1))
done <"$TMP/acked_approvals"
eq "every acknowledged approval ($(wc -l <"$TMP/acked_approvals")) holds" 0 "$missing"
check "no half-done change: every subscriber has its request, every request its subscriber" \
	/usr/bin/python3 -c 'import json,sys,subprocess
subs=json.loads(subprocess.run(sys.argv[1:]+["--json","subscriber","list","--limit","1000"],capture_output=True,check=True).stdout)["subscribers"]
reqs=json.loads(subprocess.run(sys.argv[1:]+["--json","request","list","--limit","1000"],capture_output=True,check=True).stdout)["requests"]
ids={s["id"] for s in subs}; rq={r["id"] for r in reqs}
assert all(s["request"] in rq for s in subs), "a subscriber without its request"
assert all(r["subscriber"] in ids for r in reqs), "a request without its subscriber"
assert all((s["status"] == "awaiting_activation") == any(r["subscriber"] == s["id"] and r["state"] == "approved" for r in reqs) for s in subs), "states disagree"' \
	$CTL --token-file "$TMP/va.tok"
check "the audit chain and its checkpoints verify" $CTL audit verify
esd_stop
check "the store opens cleanly and every record reads" store_check
finish
