# shellcheck shell=bash disable=SC2154,SC2034  # run.sh's variables
# The sealing half of the benchmark: sourced by run.sh after its signing
# measurements, on the same instance, token and key. It uses run.sh's
# variables (work, inst, port, key, ncpu, dpid, root, build, failed,
# R) and functions (say, measure, field, metric, audit_records, raw,
# ratio, rate). See README.md ("Sealing").
#
#   seal_measure   runs the rows (esignd over HTTPS and the Unix socket,
#                  the hash-only route, the PDFBox peer, the paced
#                  latency runs)
#   seal_report    prints the tables and ratios

# --- sizes
if [ "$size" = quick ]; then
	seal_s=1 lat_s=2 pdfbox_s=3
	seal_https_t="1 $((4 * ncpu))"
	seal_unix_t="$((4 * ncpu))"
	seal_hash_t="$((4 * ncpu))"
	pdfbox_t="$ncpu"
	v2_t="$((4 * ncpu))"
else
	# Up to four client threads per CPU: as many as the keeper has
	# workers by default, so its audit commits are shared.
	seal_s=4 lat_s=5 pdfbox_s=6
	seal_https_t="1 $ncpu $((2 * ncpu)) $((4 * ncpu))"
	seal_unix_t="1 $ncpu $((2 * ncpu)) $((4 * ncpu))"
	seal_hash_t="1 $ncpu $((2 * ncpu)) $((4 * ncpu))"
	pdfbox_t="1 $ncpu"
	v2_t="1 $ncpu $((2 * ncpu)) $((4 * ncpu))"
fi
v2_files=10 # files per call of the BSrE v2 batch rows
seal_s=${BENCH_SEAL_SECONDS:-$seal_s}
# thread lists without repeats (1 CPU: "1 1 2" -> "1 2")
uniq_t() { tr ' ' '\n' <<<"$1" | awk 'NF && !seen[$1]++' | tr '\n' ' '; }
seal_https_t=$(uniq_t "$seal_https_t")
seal_unix_t=$(uniq_t "$seal_unix_t")
seal_hash_t=$(uniq_t "$seal_hash_t")
pdfbox_t=$(uniq_t "$pdfbox_t")
v2_t=$(uniq_t "$v2_t")
lat_t=$((2 * ncpu))
clk_tck=$(getconf CLK_TCK)
corpus=${BENCH_CORPUS:-$root/tests/corpus}
pdfbox_dir=$here/pdfbox
seal_note=() # lines printed under the tables

# --- the three documents: the corpus files nearest (by size ratio) to
# 20 KB, 140 KB and 2 MB, leaving out the ones a seal must refuse.
# BENCH_PDFS="a.pdf b.pdf c.pdf" picks them by hand.
SEAL_PDFS=() SEAL_LABEL=()
seal_pick() {
	local f t best
	if [ -n "${BENCH_PDFS:-}" ]; then
		# shellcheck disable=SC2206  # a list of paths
		SEAL_PDFS=($BENCH_PDFS)
	elif [ -d "$corpus" ]; then
		for t in 20000 140000 2000000; do
			best=$(for f in "$corpus"/*.pdf; do
				case ${f##*/} in bad-* | damaged-*) continue ;; esac
				printf '%s %s\n' "$(stat -c %s "$f")" "$f"
			done | awk -v t="$t" '{ d = log($1 / t); if (d < 0) d = -d
				if (best == "" || d < bd) { best = $2; bd = d } }
				END { print best }')
			[ -z "$best" ] || SEAL_PDFS+=("$best")
		done
	fi
	for f in "${SEAL_PDFS[@]}"; do
		[ -f "$f" ] || { say "no such PDF: $f"; exit 2; }
		SEAL_LABEL+=("$(stat -c %s "$f" | awk '{ if ($1 >= 1e6) printf "%.1f MB", $1 / 1e6
			else printf "%d KB", $1 / 1e3 + 0.5 }')")
	done
}

# --- the daemon's processes: the keeper has the LMDB data file open, the
# front is the master's other child.
fpid='' kpid=''
seal_pids() {
	local p fd
	fpid='' kpid=''
	for p in $(pgrep -P "$dpid" || true); do
		fpid=$p
		for fd in "/proc/$p/fd/"*; do
			case $(readlink "$fd" 2>/dev/null) in
			*/data.mdb) kpid=$p fpid=''; break ;;
			esac
		done
		[ -z "$fpid" ] || front_pid=$fpid
	done
	fpid=${front_pid:-}
	front_pid=''
}
ticks() { [ -n "$1" ] && sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }'; }
hwm_kb() { [ -n "$1" ] && awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
hwm_reset=yes
# Resets VmHWM to the current RSS (Linux >= 4.0, needs the right to
# write clear_refs: root, or the daemon's own user).
hwm_clear() {
	local p
	for p in "$@"; do
		[ -n "$p" ] || continue
		echo 5 2>/dev/null >"/proc/$p/clear_refs" || hwm_reset=no
	done
}

# seal_row KEY THREADS DESCRIPTION SIGNBENCH-ARGS...: one measurement of
# esignd, with the front's and the keeper's CPU time, the keeper round
# trip of the signature (esignd_sign_seconds), the peak RSS of both and
# the audit check: one record per request, warm-ups included. With
# seal_docs=N (the v2 batch rows) a request seals N documents: N records
# per request, and the CPU columns are per document.
declare -A SX
seal_docs=1
# seal_prog: the load generator, signbench or wrk_seal.sh (same options,
# same RESULT line). wrk sends no warm-up and may leave up to one request
# per connection in flight when its time is up, which esignd still seals:
# its rows expect between n and n + T audit records, not exactly n + T.
seal_prog=''
wrk_ok=''
seal_row() {
	local k=$1 t=$2 what=$3 f0 f1 k0 k1 s0 s1 c0 c1 a0 a1 line n ok fails lo d=$seal_docs
	shift 3
	seal_pids
	hwm_clear "$fpid" "$kpid"
	f0=$(ticks "$fpid") k0=$(ticks "$kpid")
	s0=$(metric esignd_sign_seconds_sum) c0=$(metric esignd_sign_seconds_count)
	a0=$(audit_records)
	measure "$k" "$what" "${seal_prog:-$work/signbench}" --threads "$t" "$@"
	[ -z "$seal_prog" ] || sleep 0.5  # what wrk left in flight is sealed now
	f1=$(ticks "$fpid") k1=$(ticks "$kpid")
	s1=$(metric esignd_sign_seconds_sum) c1=$(metric esignd_sign_seconds_count)
	a1=$(audit_records)
	line=${R[$k]:-}
	[ "$kept" = 1 ] && [ -n "$line" ] || return 0
	ok=$(field "$line" ok) n=$(field "$line" requests) fails=$(field "$line" failures)
	lo=$t
	[ -z "$seal_prog" ] || lo=0
	if [ -n "$a0" ] && [ -n "$a1" ] && [ "$fails" = 0 ] &&
		{ [ $((a1 - a0)) -gt $(((n + t) * d)) ] || [ $((a1 - a0)) -lt $(((n + lo) * d)) ]; }; then
		say "$what: $((a1 - a0)) audit records for $(((n + lo) * d))$([ "$lo" = "$t" ] ||
			echo "-$(((n + t) * d))") seals (warm-ups included)"
		failed=1
	fi
	SX[$k]=$(awk -v ok="$((ok * d))" -v f0="$f0" -v f1="$f1" -v k0="$k0" -v k1="$k1" \
		-v s0="$s0" -v s1="$s1" -v c0="$c0" -v c1="$c1" -v hz="$clk_tck" \
		-v hf="$(hwm_kb "$fpid")" -v hk="$(hwm_kb "$kpid")" 'BEGIN {
		if (ok > 0 && f0 != "" && f1 != "") printf "%.2f ", (f1 - f0) * 1000 / hz / ok; else printf "- "
		if (ok > 0 && k0 != "" && k1 != "") printf "%.2f ", (k1 - k0) * 1000 / hz / ok; else printf "- "
		if (c1 > c0) printf "%.2f ", (s1 - s0) * 1000 / (c1 - c0); else printf "- "
		printf "%s %s %s\n", (hf != "" ? sprintf("%.0f", hf / 1024) : "-"),
			(hk != "" ? sprintf("%.0f", hk / 1024) : "-"), (a1 != "" && a0 != "" ? a1 - a0 : "?") }')
}

https_args=()

# --- the PDFBox peer: SunPKCS11 on the same token (by its slot index),
# the same key, in process (no HTTP, no TLS, no audit record), warm JVM.
pdfbox_note=
declare -A PB PBRSS
pdfbox_prepare() {
	local jars j idx
	if [ ! -x "$pdfbox_dir/run.sh" ] || [ ! -f "$pdfbox_dir/SealBench.java" ]; then
		pdfbox_note="not found at $pdfbox_dir"
		return
	fi
	jars=/usr/share/java/pdfbox2.jar:/usr/share/java/fontbox2.jar:/usr/share/java/bcprov.jar:/usr/share/java/bcpkix.jar:/usr/share/java/commons-logging.jar
	if ! command -v java >/dev/null || ! command -v javac >/dev/null; then
		pdfbox_note="Java is not installed"
	else
		for j in ${jars//:/ }; do
			[ -f "$j" ] || { pdfbox_note="$j is missing"; break; }
		done
	fi
	if [ -n "$pdfbox_note" ]; then
		pdfbox_note="$pdfbox_note; apt-get install -y libpdfbox2-java libbcpkix-java libbcprov-java default-jdk-headless"
		return
	fi
	# slotListIndex of the token labelled esignd (SoftHSM lists an empty
	# slot after the initialised tokens; index 0 when pkcs11-tool is missing)
	idx=0
	if command -v pkcs11-tool >/dev/null; then
		idx=$(pkcs11-tool --module "$module" -L 2>/dev/null | awk '
			/^Slot / { n++ } /token label *: *esignd *$/ { print n - 1; exit }')
		idx=${idx:-0}
	fi
	printf 'name = esignd-bench\nlibrary = %s\nslotListIndex = %s\n' "$module" "$idx" \
		>"$work/sunpkcs11.cfg"
	# compiled once, where the peer's run.sh looks (TMPDIR=$work), so that
	# no row pays for javac
	mkdir -p "$work/pdfbox-peer"
	if ! javac -cp "$jars" -d "$work/pdfbox-peer" "$pdfbox_dir/SealBench.java" \
		>"$work/javac.log" 2>&1; then
		pdfbox_note="SealBench.java did not compile: $(head -n 3 "$work/javac.log" | tr '\n' ' ')"
	fi
}

# When the peer fails: what the token holds under the key's label and ID.
# SunPKCS11 lists a private key under an alias only if a certificate
# object with the same CKA_ID exists; the alias is that certificate's
# CKA_LABEL.
pdfbox_diagnose() {
	local objs
	command -v pkcs11-tool >/dev/null || return 0
	objs=$(pkcs11-tool --module "$module" --login --pin "$(head -n 1 "$inst/pin")" -O 2>/dev/null |
		awk '/Object;/ { o = $1 } /label:/ { l = $2 } /ID:/ { print o, l, $2 }')
	echo "objects in the token (class, CKA_LABEL, CKA_ID):"
	awk '{ print "  " $0 }' <<<"$objs"
	# the verdict SunPKCS11 would reach for the alias
	awk -v k="$key" '$1 == "Private" && $2 == k { id = $3 }
		$1 == "Certificate" { cl[$3] = cl[$3] " " $2 }
		END {
			if (id == "") print "no private key labelled " k
			else if (!(id in cl)) print "private key " k " has CKA_ID " id " but no certificate object has that ID: SunPKCS11 does not list it"
			else print "private key " k " (CKA_ID " id ") pairs with certificate(s) labelled" cl[id] "; the alias is that label"
		}' <<<"$objs"
}

pdfbox_row() {  # pdfbox_row INDEX THREADS
	local i=$1 t=$2 out r rss timer=()
	[ -z "$pdfbox_note" ] || return 0
	say "measuring PDFBox peer, ${SEAL_LABEL[$i]} PDF, $t thread(s)"
	[ -x /usr/bin/time ] && timer=(/usr/bin/time -f 'maxrss_kb=%M')
	if out=$(cd "$work" && TMPDIR=$work timeout $((pdfbox_s + 120)) "${timer[@]}" \
		"$pdfbox_dir/run.sh" "$work/sunpkcs11.cfg" "$(head -n 1 "$inst/pin")" "$key" \
		"${SEAL_PDFS[$i]}" "$t" "$pdfbox_s" 2>&1); then
		r=$(sed -n 's/.*seals\/s=\([0-9.]*\).*/\1/p' <<<"$out")
		rss=$(sed -n 's/^maxrss_kb=\([0-9]*\)$/\1/p' <<<"$out")
		PB[$i.$t]=${r:-?}
		PBRSS[$i.$t]=$([ -n "$rss" ] && echo $((rss / 1024)) || echo -)
	else
		pdfbox_note="failed with ${SEAL_LABEL[$i]}, $t thread(s): $(grep -m 3 -E 'Exception|Error|at SealBench' <<<"$out" | tr '\n' ' ')"
		echo "PDFBox peer output:" >&2
		head -n 30 <<<"$out" | sed 's/^/    /' >&2
		pdfbox_diagnose >&2
	fi
}

seal_measure() {
	local i t pk best bt r
	https_args=(--url "https://127.0.0.1:$port" --cacert "$inst/ca.pem"
		--token-file "$inst/admin.token")
	seal_pick
	if [ "${#SEAL_PDFS[@]}" -eq 0 ]; then
		seal_note+=("sealing: skipped: no corpus at $corpus (set BENCH_CORPUS)")
		return 0
	fi
	# the raw figure the ratios use: 1 thread and one per CPU
	[ -n "${R[raw$ncpu]:-}" ] || raw "$ncpu"
	wrk_ok=
	if command -v wrk >/dev/null; then
		wrk_ok=1
	else
		seal_note+=("wrk rows: skipped: no wrk here (Debian package wrk, in scripts/deps.txt)")
	fi

	# per document: esignd over HTTPS, over the Unix socket, then the
	# peer, close together so that they see the same background load; the
	# first reply over HTTPS is kept, to be checked by a real verifier
	pdfbox_prepare
	for i in "${!SEAL_PDFS[@]}"; do
		for t in $seal_https_t; do
			seal_row "sh$i.$t" "$t" "seal over HTTPS, ${SEAL_LABEL[$i]} PDF, $t thread(s)" \
				--mode seal --file "${SEAL_PDFS[$i]}" "${https_args[@]}" --key "$key" \
				--seconds "$seal_s" --save "$work/sealed$i.pdf"
		done
		if [ -n "$wrk_ok" ]; then
			seal_prog=$here/wrk_seal.sh
			for t in $seal_https_t; do
				seal_row "sw$i.$t" "$t" "seal over HTTPS with wrk, ${SEAL_LABEL[$i]} PDF, $t connection(s)" \
					--file "${SEAL_PDFS[$i]}" --url "https://127.0.0.1:$port" \
					--token-file "$inst/admin.token" --key "$key" --seconds "$seal_s"
			done
			seal_prog=''
		fi
		for t in $seal_unix_t; do
			seal_row "su$i.$t" "$t" "seal over the Unix socket, ${SEAL_LABEL[$i]} PDF, $t thread(s)" \
				--mode seal --file "${SEAL_PDFS[$i]}" --socket "$inst/esignd.sock" \
				--key "$key" --seconds "$seal_s"
		done
		if [ -z "$pdfbox_note" ] && { [ "$size" != quick ] || [ "$i" = 1 ]; }; then
			for t in $pdfbox_t; do pdfbox_row "$i" "$t"; done
		fi
	done
	for t in $seal_hash_t; do
		seal_row "hh.$t" "$t" "seal/hash over HTTPS, $t thread(s)" \
			--mode seal-hash "${https_args[@]}" --key "$key" --seconds "$seal_s"
	done
	# A seal of the registration authority, authorised per batch by a
	# seal code (docs/activation.md): the cost of the authorisation.
	if seal_code_setup; then
		for t in $seal_hash_t; do
			seal_row "hc.$t" "$t" "seal/hash with a seal code over HTTPS, $t thread(s)" \
				--mode seal-hash "${https_args[@]}" --key "$sc_seal" \
				--seal-code "$sc_code" --seconds "$seal_s"
		done
		passphrase_timing
		# The same seal through BSrE's v2 route, one file and ten
		# files per call, against the native route with the same key
		# and seal code (after the rows above: a new activation).
		if v2_setup; then
			v2_measure
		else
			seal_note+=("BSrE v2 rows: skipped: the v2 activation or seal code failed (see above)")
			failed=1
		fi
	fi

	seal_load=$(cut -d ' ' -f 1-3 /proc/loadavg)
	# latency at about half the peak HTTPS rate: paced, 2 threads per CPU
	# (enough that a slow reply does not hold the next request back)
	for i in "${!SEAL_PDFS[@]}" hash; do
		[ "$size" = quick ] && [ "$i" != 1 ] && continue
		pk=hh
		[ "$i" = hash ] || pk=sh$i
		bt=$(peak_t "$pk" "$([ "$i" = hash ] && echo "$seal_hash_t" || echo "$seal_https_t")")
		[ -n "$bt" ] || continue
		best=$(rate "$pk.$bt")
		r=$(awk -v b="$best" 'BEGIN { printf "%.1f", b / 2 }')
		PEAK[$i]="$best $bt"
		if [ "$i" = hash ]; then
			seal_row "lat.hash" "$lat_t" "seal/hash over HTTPS at $r/s (half the peak)" \
				--mode seal-hash "${https_args[@]}" --key "$key" --seconds "$lat_s" --rate "$r"
		else
			seal_row "lat.$i" "$lat_t" "seal over HTTPS, ${SEAL_LABEL[$i]} PDF, at $r/s (half the peak)" \
				--mode seal --file "${SEAL_PDFS[$i]}" "${https_args[@]}" --key "$key" \
				--seconds "$lat_s" --rate "$r"
		fi
	done

	# the sealed PDFs, as a verifier sees them
	if command -v pdfsig >/dev/null; then
		for i in "${!SEAL_PDFS[@]}"; do
			[ -s "$work/sealed$i.pdf" ] || continue
			r=$(pdfsig "$work/sealed$i.pdf" 2>&1 || true)
			if ! grep -q 'Signature is Valid' <<<"$r"; then
				say "the sealed ${SEAL_LABEL[$i]} PDF does not verify:"
				echo "$r" >&2
				failed=1
			fi
		done
		seal_note+=("sealed PDFs: every document's first reply checked with pdfsig (Signature is Valid)")
	fi
	large_measure
}

# --- one large generated document (tests/tools/big_pdf.py), sealed once
# over HTTPS at B-B: its time against openssl dgst -sha256 of the same file, and the
# peak RSS of the front and the keeper.
large_line=''
large_measure() {
	local f=$work/large.pdf hf hk rss t h out code v
	[ "$large_mb" -gt 0 ] || return 0
	if ! python3 "$root/tests/tools/big_pdf.py" "$f" "$large_mb"; then
		say "cannot write the $large_mb MB document"
		failed=1
		return 0
	fi
	h=$(TIMEFORMAT=%R; { time openssl dgst -sha256 "$f" >/dev/null; } 2>&1 | tail -1)
	seal_pids
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$fpid/status")
	hwm_clear "$fpid" "$kpid"
	out=$(curl -s -o "$work/large.sealed.pdf" -w '%{http_code} %{time_total}' \
		--cacert "$inst/ca.pem" -H "Authorization: Bearer $(cat "$inst/admin.token")" \
		-F "file=@$f;type=application/pdf" -F "key=$key" \
		"https://127.0.0.1:$port/v1/seal") || true
	code=${out%% *} t=${out#* }
	hf=$(hwm_kb "$fpid") hk=$(hwm_kb "$kpid")
	if [ "$code" != 200 ]; then
		say "the $large_mb MB document was not sealed (HTTP $code)"
		failed=1
		return 0
	fi
	v="not checked (no pdfsig)"
	if command -v pdfsig >/dev/null; then
		if pdfsig "$work/large.sealed.pdf" 2>&1 | grep -q 'Signature is Valid'; then
			v="pdfsig: Signature is Valid"
		else
			v="pdfsig: NOT VALID"
			failed=1
		fi
	fi
	large_line=$(printf '  %d MB (%d bytes; sealed %d): %.2f s over HTTPS (openssl dgst -sha256 of the file: %s s, %.1fx);\n  front VmRSS before %d MiB, VmHWM %d MiB; keeper VmHWM %d MiB; %s' \
		"$large_mb" "$(stat -c %s "$f")" "$(stat -c %s "$work/large.sealed.pdf")" "$t" "$h" \
		"$(awk -v a="$t" -v b="$h" 'BEGIN { print (b > 0 ? a / b : 0) }')" \
		$((rss / 1024)) $((hf / 1024)) $((hk / 1024)) "$v")
	rm -f "$f" "$work/large.sealed.pdf"
}
declare -A PEAK
seal_load='?'

# A seal subscriber (two verifiers, registration, approval, a client
# granted the seal, the emailed activation code, one seal code for every
# seal of the rows) and an activated individual for the passphrase
# timing. Sets sc_seal, sc_code, sc_ind, sc_pass; 1 if anything fails.
sc_seal='' sc_code='' sc_ind='' sc_pass='bench passphrase 2026'
seal_code_setup() {
	local ctl="$build/cli/esignctl -c $inst/esignd.conf" n j mail code
	jf() { /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin)
for k in sys.argv[1].split("."): d=d[k]
print(d)' "$1"; }
	for n in va vb; do
		$ctl --json client add --name "bench-$n" --role verifier | jf token >"$work/$n.tok" || return 1
	done
	j=$($ctl --token-file "$work/va.tok" --json seal register --name "Bench Seal" \
		--email seal@bench.test --letter "${SEAL_PDFS[0]:-$corpus/xref-table.pdf}") || return 1
	sc_seal=$(jf subscriber.id <<<"$j")
	$ctl --token-file "$work/vb.tok" request approve --id "$(jf request.id <<<"$j")" >/dev/null || return 1
	j=$($ctl --token-file "$work/va.tok" --json user register --name "Bench Signer" \
		--nik 3171000000000099 --email signer@bench.test --unit Bench) || return 1
	sc_ind=$(jf subscriber.id <<<"$j")
	$ctl --token-file "$work/vb.tok" request approve --id "$(jf request.id <<<"$j")" >/dev/null || return 1
	$ctl --json client add --name bench-sealer --role client --key "$sc_seal" |
		jf token >"$work/sealer.tok" || return 1
	$ctl --token-file "$work/sealer.tok" seal activate --id "$sc_seal" >/dev/null || return 1
	code() { # the activation code emailed to $1
		for _ in $(seq 100); do
			mail=$(grep -l "^To: $1" "$inst"/mail/new/* 2>/dev/null |
				xargs -r grep -l -i -e 'kode aktivasi' -e 'activation code' | head -1)
			[ -n "$mail" ] && { grep -i -e 'kode aktivasi' -e 'activation code' "$mail" |
				grep -o '[A-Z0-9]\{5\}-[A-Z0-9]\{5\}' | head -1; return; }
			sleep 0.1
		done
	}
	code=$(code seal@bench.test)
	sc_code=$($ctl --token-file "$work/sealer.tok" seal code --id "$sc_seal" \
		--activation-code "$code" --documents 1000000) || return 1
	printf '%s\n' "$sc_pass" >"$work/pass"
	$ctl user activate --subscriber "$sc_ind" --code "$(code signer@bench.test)" \
		--passphrase-file "$work/pass" >/dev/null || return 1
	return 0
}

# The BSrE v2 seal flow of an agency integration (docs/bsre-compat.md,
# tests/integration/t_bsre.sh), HTTP Basic as the client bench-sealer:
# /api/v2/seal/get/activation (a new activation: the code is emailed to
# the seal's officer), then /api/v2/seal/get/totp with data = the most
# files a seal code may cover here (seal_code_max_documents, run.sh) for
# one seal code that every v2 row and the native comparison row use.
v2_code='' v2_basic=()
v2_setup() {
	local before mail ac i
	v2_basic=(-u "bench-sealer:$(head -n 1 "$work/sealer.tok")")
	v2post() {
		curl -s -o "$work/v2.body" -w '%{http_code}' --max-time 30 --cacert "$inst/ca.pem" \
			"${v2_basic[@]}" -H 'Content-Type: application/json' -d "$2" \
			"https://127.0.0.1:$port$1"
	}
	# a mail that was not there before: not the activation code that
	# seal_code_setup used
	before=$(find "$inst/mail/new" -type f 2>/dev/null | sort)
	if [ "$(v2post /api/v2/seal/get/activation "{\"idSubscriber\":\"$sc_seal\"}")" != 200 ]; then
		say "v2 seal/get/activation: $(cat "$work/v2.body")"
		return 1
	fi
	ac=
	for i in $(seq 100); do
		for mail in $(find "$inst/mail/new" -type f 2>/dev/null | sort | comm -13 <(echo "$before") -); do
			grep -q '^To: seal@bench.test' "$mail" || continue
			ac=$(grep -i -e 'kode aktivasi' -e 'activation code' "$mail" |
				grep -o '[A-Z0-9]\{5\}-[A-Z0-9]\{5\}' | head -n 1)
			[ -z "$ac" ] || break 2
		done
		sleep 0.1
	done
	[ -n "$ac" ] || { say "v2: no activation mail for seal@bench.test"; return 1; }
	if [ "$(v2post /api/v2/seal/get/totp \
		"{\"idSubscriber\":\"$sc_seal\",\"data\":1000000,\"totp\":\"$ac\"}")" != 200 ]; then
		say "v2 seal/get/totp: $(cat "$work/v2.body")"
		return 1
	fi
	v2_code=$(/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["totp"])' <"$work/v2.body") ||
		return 1
	[ -n "$v2_code" ]
}

# Per document (the 20 KB one, and the 140 KB one in the default mode)
# and thread count: the native /v1/seal with the same seal, client and
# seal code (bearer), then v2 with one file per call, then v2 with
# $v2_files, close together so that they share the background load;
# all of it `rounds` times (default 2, quick 1), the best rate of each
# row kept, as for the signing rows. The first reply's files of the
# first 1-file and batch rows are kept for pdfsig.
v2_measure() {
	local i t v2args save1 saveb
	for i in "${!SEAL_PDFS[@]}"; do
		[ "$i" -le 1 ] || continue
		[ "$size" != quick ] || [ "$i" = 0 ] || continue
		v2args=(--mode v2-seal --file "${SEAL_PDFS[$i]}" --url "https://127.0.0.1:$port"
			--cacert "$inst/ca.pem" --basic-user bench-sealer --token-file "$work/sealer.tok"
			--subscriber "$sc_seal" --seal-code "$v2_code" --seconds "$seal_s")
		for round in $(seq "$rounds"); do
			for t in $v2_t; do
				save1=() saveb=()
				if [ "$round" = 1 ] && [ "$t" = "${v2_t%% *}" ]; then
					save1=(--save "$work/v2single$i") saveb=(--save "$work/v2batch$i")
				fi
				seal_row "vn$i.$t" "$t" "native /v1/seal with the seal code, ${SEAL_LABEL[$i]} PDF, $t thread(s)" \
					--mode seal --file "${SEAL_PDFS[$i]}" --url "https://127.0.0.1:$port" \
					--cacert "$inst/ca.pem" --token-file "$work/sealer.tok" --key "$sc_seal" \
					--seal-code "$v2_code" --seconds "$seal_s"
				seal_row "vs$i.$t" "$t" "v2 seal/pdf, 1 file per call, ${SEAL_LABEL[$i]} PDF, $t thread(s)" \
					"${v2args[@]}" --files 1 "${save1[@]}"
				seal_docs=$v2_files
				seal_row "vb$i.$t" "$t" "v2 seal/pdf, $v2_files files per call, ${SEAL_LABEL[$i]} PDF, $t thread(s)" \
					"${v2args[@]}" --files "$v2_files" "${saveb[@]}"
				seal_docs=1
			done
		done
		round=
	done
	# the files of the first reply of each kind, as a verifier sees them
	if command -v pdfsig >/dev/null; then
		local f n=0 r
		for f in "$work"/v2single*.pdf "$work"/v2batch*.pdf; do
			[ -s "$f" ] || continue
			n=$((n + 1))
			r=$(pdfsig "$f" 2>&1 || true)
			if ! grep -q 'Signature is Valid' <<<"$r"; then
				say "a file of a v2 reply does not verify: ${f##*/}"
				echo "$r" >&2
				failed=1
			fi
		done
		v2_checked=$n
	fi
}
v2_checked=0

# The passphrase check (Argon2id, libsodium's interactive limits) as a
# signer sees it: mean time of sequential /v1/sign/hash calls with the
# passphrase, against the same calls on the demo individual key without.
pp_ms='' np_ms=''
passphrase_timing() {
	local n=10 t0 t1 i auth
	auth="Authorization: Bearer $(cat "$inst/admin.token")"
	t0=$(date +%s%N)
	for i in $(seq $n); do
		curl -s -o /dev/null --cacert "$inst/ca.pem" -H "$auth" \
			-d "{\"digest\":\"$(printf '%064x' "$i")\",\"key\":\"$sc_ind\",\"passphrase\":\"$sc_pass\"}" \
			"https://127.0.0.1:$port/v1/sign/hash"
	done
	t1=$(date +%s%N)
	pp_ms=$(( (t1 - t0) / n / 1000000 ))
	t0=$(date +%s%N)
	for i in $(seq $n); do
		curl -s -o /dev/null --cacert "$inst/ca.pem" -H "$auth" \
			-d "{\"digest\":\"$(printf '%064x' "$i")\",\"key\":\"demo-individual\"}" \
			"https://127.0.0.1:$port/v1/sign/hash"
	done
	t1=$(date +%s%N)
	np_ms=$(( (t1 - t0) / n / 1000000 ))
}

# The BSrE v2 rows: per document, so that one call of ten files and ten
# calls of one file compare directly.
v2_report() {
	local i t line d k docs rate cf ck cc trip hf hk
	echo
	echo "BSrE v2 POST /api/v2/seal/pdf (HTTP Basic, base64 JSON), $v2_files files per call, against"
	echo "one file per call and the native /v1/seal, all on seal $sc_seal with one seal code"
	echo "(${seal_s} s per row, best of $rounds round(s), interleaved):"
	printf '  %-24s %7s %3s %6s %6s %4s %8s %9s %9s | %6s %6s %6s %6s | %7s\n' "route" "PDF" "thr" \
		"calls" "docs" "fail" "docs/s" "p50/call" "p99/call" "front" "keeper" "client" "trip" "HWM f/k"
	for i in 0 1; do
		[ -n "${SEAL_PDFS[$i]:-}" ] || continue
		for t in $v2_t; do
			for k in vn vs vb; do
				line=${R[$k$i.$t]:-}
				[ -n "$line" ] || continue
				d=1
				[ "$k" != vb ] || d=$v2_files
				docs=$(( $(field "$line" ok) * d ))
				rate=$(awk -v r="$(field "$line" rps)" -v d="$d" 'BEGIN { printf "%.1f", r * d }')
				read -r cf ck trip hf hk _ <<<"${SX[$k$i.$t]:-- - - - - -}"
				cc=$(awk -v c="$(field "$line" client_cpu_ms)" -v d="$d" \
					'BEGIN { if (c != "") printf "%.2f", c / d; else print "-" }')
				printf '  %-24s %7s %3s %6s %6s %4s %8s %9.2f %9.2f | %6s %6s %6s %6s | %7s%s\n' \
					"$(case $k in vn) echo "native /v1/seal" ;; vs) echo "v2, 1 file/call" ;;
						vb) echo "v2, $v2_files files/call" ;; esac)" \
					"${SEAL_LABEL[$i]}" "$t" "$(field "$line" ok)" "$docs" \
					"$(field "$line" failures)" "$rate" "$(field "$line" p50_ms)" \
					"$(field "$line" p99_ms)" "$cf" "$ck" "$cc" "$trip" "$hf/$hk" \
					"$([ "$(field "$line" complete)" = yes ] || echo " (capped)")"
			done
		done
	done
	echo "  docs/s: documents sealed per second (calls/s x files per call); p50/p99 per call;"
	echo "  front, keeper, client: CPU ms per document; trip: keeper round trip per signature;"
	echo "  HWM: VmHWM (MiB) of the front and the keeper during the row."
	echo "  native /v1/seal: multipart, bearer token of the same client, seal_code field."
	echo
	echo "  ratios per document (docs/s over docs/s or signatures/s; 'peak' = best thread count):"
	printf '  %-46s' ""
	for i in 0 1; do [ -z "${R[vb$i.${v2_t%% *}]:-}" ] || printf ' %8s' "${SEAL_LABEL[$i]}"; done
	echo
	v2r() {  # v2r LABEL NUM-PREFIX DEN-PREFIX|raw [T]: per-document ratio
		local lbl=$1 a b v=() i x y
		for i in 0 1; do
			[ -n "${R[vb$i.${v2_t%% *}]:-}" ] || continue
			if [ -n "${4:-}" ]; then
				x=$(v2docs "$2$i.$4")
				if [ "$3" = raw ]; then
					y=$(rate "raw$4")
					[ -n "$y" ] || y=$(best_of "$(rate raw1) $(rate "raw$ncpu")")
				else
					y=$(v2docs "$3$i.$4")
				fi
			else
				x=$(v2peak "$2$i")
				if [ "$3" = raw ]; then
					y=$(best_of "$(rate raw1) $(rate "raw$ncpu")")
				else
					y=$(v2peak "$3$i")
				fi
			fi
			v+=("$(ratio "$x" "$y")")
		done
		ratio_row "$lbl" "${v[@]}"
	}
	for t in $v2_t; do
		v2r "v2 batch per document / v2 single, $t thr" vb vs "$t"
	done
	v2r "v2 batch per document / v2 single, peak" vb vs
	v2r "v2 batch per document / native /v1/seal, peak" vb vn
	v2r "v2 single / native /v1/seal, peak" vs vn
	for t in $v2_t; do
		v2r "v2 batch per document / raw C_Sign, $t thr" vb raw "$t"
	done
	v2r "v2 batch per document / raw C_Sign, peak" vb raw
	echo "  (raw C_Sign is measured with 1 and $ncpu thread(s); more client threads are"
	echo "  divided by the better of the two)"
	if [ "$v2_checked" -gt 0 ]; then
		echo "  v2 replies: every file of every reply checked (%PDF- ... %%EOF, longer than the"
		echo "  upload, one per file sent); the $v2_checked files of the first reply of each v2 row"
		echo "  kind decoded and checked with pdfsig (Signature is Valid)"
	fi
}
v2docs() {  # documents per second of a v2 or native row
	local line=${R[$1]:-}
	[ -n "$line" ] || return 0
	case $1 in
	vb*) field "$line" docs_rps ;;
	*) field "$line" rps ;;
	esac
}
v2peak() {  # v2peak PREFIX: the best documents per second over $v2_t
	local t l=
	for t in $v2_t; do l="$l $(v2docs "$1.$t")"; done
	best_of "$l"
}

# --- report
best_of() { tr ' ' '\n' <<<"$1" | awk 'NF && $1 != "?" && (b == "" || $1 + 0 > b + 0) { b = $1 } END { print b }'; }
peak_of() {  # peak_of PREFIX THREAD-LIST -> the best rate of PREFIX.T
	local t
	t=$(peak_t "$1" "$2")
	[ -z "$t" ] || rate "$1.$t"
}

# ratio_row LABEL VALUE...: one line, left out when no value is known
ratio_row() {
	local lbl=$1 x any=
	shift
	for x in "$@"; do [ "$x" = - ] || any=1; done
	[ -n "$any" ] || return 0
	printf '  %-44s' "$lbl"
	printf ' %8s' "$@"
	echo
}
peak_t() {  # peak_t PREFIX THREAD-LIST -> the thread count of the best rate
	local t r b='' bt=''
	for t in $2; do
		r=$(rate "$1.$t")
		if [ -n "$r" ] && awk -v a="$r" -v b="${b:-0}" 'BEGIN { exit !(a > b) }'; then
			b=$r bt=$t
		fi
	done
	echo "$bt"
}
# cpu_at KEY -> front + keeper + client CPU ms per seal of row KEY, or -
cpu_at() {
	local cf ck cc
	read -r cf ck _ <<<"${SX[$1]:-- - -}"
	cc=$(field "${R[$1]:-}" client_cpu_ms)
	awk -v f="$cf" -v k="$ck" -v c="$cc" 'BEGIN {
		if (f ~ /^[0-9.]+$/ && k ~ /^[0-9.]+$/ && c ~ /^[0-9.]+$/) printf "%.2f", f + k + c
		else print "-" }'
}
# ceiling_rows PREFIX CPU-LABEL CEILING-LABEL: per document, the CPU per
# seal at the peak of the HTTPS rows PREFIX and raw C_Sign's CPU per
# signature ($rawcpu) over it
ceiling_rows() {
	local i x v=() w=()
	for i in "${!SEAL_PDFS[@]}"; do
		x=$(cpu_at "$1$i.$(peak_t "$1$i" "$seal_https_t")")
		v+=("$x") w+=("$(ratio "$rawcpu" "$x")")
	done
	ratio_row "$2" "${v[@]}"
	ratio_row "$3" "${w[@]}"
}
pdfbox_peak_line() {  # LABEL PREFIX THREAD-LIST
	local i t l v=()
	for i in "${!SEAL_PDFS[@]}"; do
		l=
		for t in $pdfbox_t; do l="$l ${PB[$i.$t]:-}"; done
		v+=("$(ratio "$(peak_of "$2$i" "$3")" "$(best_of "$l")")")
	done
	ratio_row "$1" "${v[@]}"
}

seal_report() {
	local i t k x line mark cf ck cc trip hf hk v out
	[ "${#SEAL_PDFS[@]}" -gt 0 ] || { printf '%s\n' "${seal_note[@]}"; return 0; }
	echo
	echo "PDF sealing, level B-B, key $key; ${seal_s} s per row, one round; client threads on the same CPUs"
	echo "load average at the end of the sealing rows: $seal_load (a neighbour's load slows every row)"
	for i in "${!SEAL_PDFS[@]}"; do
		out=$(field "${R[sh$i.1]:-${R[su$i.$lat_t]:-}}" reply_bytes)
		echo "  ${SEAL_LABEL[$i]}: ${SEAL_PDFS[$i]##*/} ($(stat -c %s "${SEAL_PDFS[$i]}") bytes; sealed: ${out:-?} bytes)"
	done
	echo
	printf '%-30s %7s %3s %6s %4s %8s %7s %7s | %6s %6s %6s %6s | %9s\n' \
		"measurement" "PDF" "thr" "seals" "fail" "seals/s" "p50 ms" "p99 ms" \
		"front" "keeper" "client" "trip" "HWM f/k"
	xrow() {  # xrow LABEL PDF-LABEL KEY
		line=${R[$3]:-}
		if [ -z "$line" ]; then
			printf '%-30s %7s %3s  no result (see above)\n' "$1" "$2" "-"
			return
		fi
		read -r cf ck trip hf hk _ <<<"${SX[$3]:-- - - - - -}"
		mark=
		[ "$(field "$line" complete)" = yes ] || mark=" (capped)"
		cc=$(field "$line" client_cpu_ms)
		[ -z "$cc" ] || cc=$(printf '%.2f' "$cc")
		printf '%-30s %7s %3s %6s %4s %8s %7.2f %7.2f | %6s %6s %6s %6s | %9s%s\n' \
			"$1" "$2" "$(field "$line" threads)" "$(field "$line" requests)" \
			"$(field "$line" failures)" "$(field "$line" rps)" \
			"$(field "$line" p50_ms)" "$(field "$line" p99_ms)" \
			"$cf" "$ck" "${cc:--}" "$trip" "$hf/$hk" "$mark"
	}
	xrow "raw C_Sign (p11_baseline)" "-" raw1
	[ "$ncpu" = 1 ] || xrow "raw C_Sign (p11_baseline)" "-" "raw$ncpu"
	for i in "${!SEAL_PDFS[@]}"; do
		for t in $seal_https_t; do xrow "esignd seal, HTTPS" "${SEAL_LABEL[$i]}" "sh$i.$t"; done
	done
	for i in "${!SEAL_PDFS[@]}"; do
		for t in $seal_https_t; do
			[ -z "$wrk_ok" ] || xrow "esignd seal, HTTPS, wrk" "${SEAL_LABEL[$i]}" "sw$i.$t"
		done
	done
	for i in "${!SEAL_PDFS[@]}"; do
		for t in $seal_unix_t; do xrow "esignd seal, Unix socket" "${SEAL_LABEL[$i]}" "su$i.$t"; done
	done
	for t in $seal_hash_t; do xrow "esignd seal/hash, HTTPS" "digest" "hh.$t"; done
	if [ -z "$pdfbox_note" ]; then
		for i in "${!SEAL_PDFS[@]}"; do
			for t in $pdfbox_t; do
				[ -n "${PB[$i.$t]:-}" ] || continue
				printf '%-30s %7s %3s %6s %4s %8s %7s %7s | %6s %6s %6s %6s | %9s\n' \
					"PDFBox peer (in process)" "${SEAL_LABEL[$i]}" "$t" "-" "-" \
					"${PB[$i.$t]}" "-" "-" "-" "-" "-" "-" "${PBRSS[$i.$t]} JVM"
			done
		done
	else
		echo "PDFBox peer: skipped: $pdfbox_note"
	fi
	echo "  p50/p99: closed loop, each client thread sends its next request when the reply"
	echo "  is in. front, keeper, client: CPU ms per seal of esignd's front and keeper"
	echo "  processes and of the load generator (/proc/PID/stat, 10 ms ticks). trip: the"
	echo "  keeper round trip of the signature as the front sees it (queueing for a"
	echo "  channel, C_Sign, the audit commit; esignd_sign_seconds). HWM: VmHWM (MiB) of"
	echo "  the front and the keeper during the row ($( [ "$hwm_reset" = yes ] && echo "reset to the current RSS before each row, so memory kept from earlier rows counts" || echo "NOT reset: clear_refs not writable, so since start")); for PDFBox the JVM's max RSS."

	echo
	echo "latency at about half the peak rate (HTTPS, $lat_t client threads, paced; latency"
	echo "from each request's scheduled send time, so falling behind counts):"
	printf '  %-8s %18s %9s %9s %8s %8s %6s   %s\n' "PDF" "peak seals/s (thr)" "offered" \
		"achieved" "p50 ms" "p99 ms" "late" "VmHWM MiB at peak: front / keeper"
	for i in "${!SEAL_PDFS[@]}" hash; do
		[ -n "${PEAK[$i]:-}" ] || continue
		read -r x t <<<"${PEAK[$i]}"
		line=${R[lat.$i]:-}
		k=sh$i.$t
		[ "$i" != hash ] || k=hh.$t
		read -r _ _ _ hf hk _ <<<"${SX[$k]:-- - - - - -}"
		printf '  %-8s %12s (%2s) %9s %9s %8s %8s %6s   %s / %s\n' \
			"$([ "$i" = hash ] && echo digest || echo "${SEAL_LABEL[$i]}")" "$x" "$t" \
			"$(field "$line" offered_rps)" "$(field "$line" rps)" \
			"$(field "$line" p50_ms)" "$(field "$line" p99_ms)" "$(field "$line" late)" \
			"$hf" "$hk"
	done

	echo
	echo "ratios (seals/s over signatures/s or seals/s; 'peak' = best thread count):"
	printf '  %-44s' ""
	for i in "${!SEAL_PDFS[@]}"; do printf ' %8s' "${SEAL_LABEL[$i]}"; done
	echo
	rawpk=$(best_of "$(rate raw1) $(rate "raw$ncpu")")
	for t in $(uniq_t "1 $ncpu"); do
		v=()
		for i in "${!SEAL_PDFS[@]}"; do v+=("$(ratio "$(rate "sh$i.$t")" "$(rate "raw$t")")"); done
		ratio_row "esignd HTTPS / raw C_Sign, $t thread(s)" "${v[@]}"
	done
	v=()
	for i in "${!SEAL_PDFS[@]}"; do v+=("$(ratio "$(peak_of "sh$i" "$seal_https_t")" "$rawpk")"); done
	ratio_row "esignd HTTPS peak / raw C_Sign peak" "${v[@]}"
	v=()
	for i in "${!SEAL_PDFS[@]}"; do v+=("$(ratio "$(peak_of "sw$i" "$seal_https_t")" "$rawpk")"); done
	ratio_row "esignd HTTPS (wrk) peak / raw C_Sign peak" "${v[@]}"
	v=()
	for i in "${!SEAL_PDFS[@]}"; do v+=("$(ratio "$(peak_of "su$i" "$seal_unix_t")" "$rawpk")"); done
	ratio_row "esignd Unix socket peak / raw C_Sign peak" "${v[@]}"
	# When the CPUs are the limit, a peak rate is CPUs / CPU per operation,
	# so a peak ratio can be no better than the raw CPU per signature over
	# the CPU per seal (front, keeper and the load generator together).
	rawcpu=$(field "${R[raw$ncpu]:-}" client_cpu_ms)
	ceiling_rows sh "CPU ms per seal at the HTTPS peak, all" \
		"CPU-bound ceiling of HTTPS peak / raw peak"
	ceiling_rows sw "the same with wrk: CPU ms per seal" "the same with wrk: ceiling"
	[ -z "$rawcpu" ] || printf '  %s\n' \
		"(the ceiling: raw C_Sign's $rawcpu ms of CPU per signature with $ncpu thread(s)" \
		"over the CPU per seal of the front, the keeper and the load generator)"
	if [ -z "$pdfbox_note" ]; then
		for t in $pdfbox_t; do
			v=()
			for i in "${!SEAL_PDFS[@]}"; do v+=("$(ratio "$(rate "sh$i.$t")" "${PB[$i.$t]:-}")"); done
			ratio_row "esignd HTTPS / PDFBox, $t thread(s)" "${v[@]}"
		done
		pdfbox_peak_line "esignd HTTPS peak / PDFBox peak" sh "$seal_https_t"
		pdfbox_peak_line "esignd Unix socket peak / PDFBox peak" su "$seal_unix_t"
	fi
	printf '  %-44s %8s\n' "esignd seal/hash HTTPS peak / raw C_Sign peak" \
		"$(ratio "$(peak_of hh "$seal_hash_t")" "$rawpk")"
	x=$(cpu_at "hh.$(peak_t hh "$seal_hash_t")")
	printf '  %-44s %8s\n' "seal/hash CPU ms per seal at its peak, all" "$x" \
		"seal/hash CPU-bound ceiling (as above)" "$(ratio "$rawcpu" "$x")"
	if [ -n "$sc_code" ]; then
		printf '  %-44s %8s\n' "seal/hash with a seal code peak / raw C_Sign" \
			"$(ratio "$(peak_of hc "$seal_hash_t")" "$rawpk")"
		printf '  %-44s %8s\n' "seal/hash with a seal code / without" \
			"$(ratio "$(peak_of hc "$seal_hash_t")" "$(peak_of hh "$seal_hash_t")")"
		echo "  (one seal code authorised every seal of those rows; each seal consumed"
		echo "  one use in its audit record's transaction)"
		[ -z "$pp_ms" ] || echo "  sign/hash with the passphrase (Argon2id check): $pp_ms ms per call; without: $np_ms ms"
	else
		echo "  (no seal-code rows: the seal subscriber could not be set up)"
	fi
	[ -z "$pdfbox_note" ] || echo "  (no PDFBox ratios: the peer was skipped: $pdfbox_note)"
	[ -z "$v2_code" ] || v2_report
	echo "  PDFBox seals in process (no HTTP, TLS, upload or audit record) and reserves"
	echo "  a smaller /Contents; esignd commits an audit record (fsync) before each reply."
	if [ -n "$large_line" ]; then
		echo
		echo "large document (tests/tools/big_pdf.py), sealed once at B-B with curl; the"
		echo "time includes the upload and the download over TLS, the client on the same CPUs:"
		echo "$large_line"
		[ "$hwm_reset" = yes ] || echo "  (VmHWM could not be reset: it counts from the daemon's start)"
	fi
	[ "${#seal_note[@]}" -eq 0 ] || printf '%s\n' "${seal_note[@]}"
}
