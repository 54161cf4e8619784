#!/usr/bin/env bash
# The web console in a real browser: Debian's headless chromium, driven
# over WebDriver (chromedriver, python3-selenium) by console_browser.py,
# against the real daemon. Two verifiers log in (first login: password
# change and authenticator enrolment from the page's QR code; then a code
# from oathtool), one registers a person, the other approves (four eyes),
# the person activates from the emailed link, the certificate is found,
# revoked through the queue, and the verify page reports the revoked
# signer. A seal's officer logs in with an account for the seal, lands
# on its page, activates it, gets a seal code and revokes the activation.
# A wrong code and a CSRF-less change are refused. The admin makes staff
# accounts of each role on the staff page (the audit names each); 250
# people registered through the API all show in the queue and the
# certificate list, each once, across pages (plain builds). Screenshots
# go to docs/console/ when ESD_CONSOLE_SHOTS is set to that folder.
. "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
PY=/usr/bin/python3
CTL="$ESIGNCTL -c $D/esignd.conf"

for tool in chromium chromedriver oathtool zbarimg; do
	command -v "$tool" >/dev/null || { echo "Bail out! $tool is missing (apt-get install chromium chromium-driver oathtool zbar-tools)"; exit 1; }
done
"$PY" -c 'import selenium' 2>/dev/null || { echo "Bail out! python3-selenium is missing"; exit 1; }

# Browsers this test started (their profiles and logs are under $TMP):
# by process id, whatever the browser run left.
browser_pids() { pgrep -f -- "[-]-user-data-dir=$TMP/|[c]hromedriver.*$TMP/"; }
kill_browsers() {
	local p
	for p in $(browser_pids); do kill "$p" 2>/dev/null; done
}
on_exit kill_browsers

esd_init
esd_start

# The staff: two verifiers and an admin, their initial passwords emailed.
for u in siti:verifier budi:verifier rina:admin; do
	check "the admin creates ${u%%:*} (${u#*:})" $CTL user create --name "${u%%:*}" \
		--email "${u%%:*}@agency.go.id" --role "${u#*:}" --lang en
done
initial() {
	local m
	for _ in $(seq 100); do
		m=$(grep -l "^To: $1@agency.go.id" "$D"/mail/new/* 2>/dev/null | head -1)
		[ -n "$m" ] && break
		sleep 0.1
	done
	sed -n 's/.*Initial password: *\([A-Z0-9-]*\).*/\1/p' "$m" | tr -d '\r'
}
for u in siti budi rina; do
	initial "$u" >"$TMP/$u.initial"
	check "$u's initial password arrives by email" test "$(wc -c <"$TMP/$u.initial")" -eq 12
done

# The files as served: types, the policy, redirects, nothing else.
CSP="default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
hdr() { curl -s -o /dev/null -D - --cacert "$D/ca.pem" "$URL$1" | tr -d '\r'; }
hdr /console/ >"$TMP/h.index"
check "/console/ is the page, text/html in UTF-8" grep -qx 'Content-Type: text/html; charset=utf-8' "$TMP/h.index"
check "... with the Content-Security-Policy" grep -qxF "Content-Security-Policy: $CSP" "$TMP/h.index"
check "... nosniff, no framing, no referrer" bash -c "grep -qx 'X-Content-Type-Options: nosniff' '$TMP/h.index' && \
	grep -qx 'X-Frame-Options: DENY' '$TMP/h.index' && grep -qx 'Referrer-Policy: no-referrer' '$TMP/h.index'"
for f in app.js:text/javascript style.css:text/css logo.svg:image/svg+xml; do
	hdr "/console/${f%%:*}" >"$TMP/h.file"
	check "/console/${f%%:*} is ${f#*:}, with the policy" bash -c "grep -q '^Content-Type: ${f#*:}' '$TMP/h.file' && \
		grep -q '^Content-Security-Policy: ' '$TMP/h.file'"
done
check "the served page is console/index.html byte for byte" bash -c \
	"curl -s --cacert '$D/ca.pem' '$URL/console/' | cmp - '$SRC/console/index.html'"
for p in / /console; do
	hdr "$p" >"$TMP/h.redir"
	check "$p redirects to /console/ (303)" bash -c "grep -q '^HTTP/1.1 303' '$TMP/h.redir' && grep -qx 'Location: /console/' '$TMP/h.redir'"
done
# Scripts and the style sheet are served minified (the build's copies by
# uglifyjs and cleancss), the page as written.
for f in $(cd "$SRC/console" && ls *.js style.css); do
	check "$f is served minified: the build's copy, smaller than console/$f" bash -c \
		"curl -s --cacert '$D/ca.pem' '$URL/console/$f' | cmp - '$BUILD/console/$f' && \
		[ \$(stat -c %s '$BUILD/console/$f') -lt \$(stat -c %s '$SRC/console/$f') ]"
done
for f in app.js style.css index.html; do
	src=$BUILD/console/$f
	[ "$f" = index.html ] && src=$SRC/console/$f
	[ "$f" = index.html ] && u=/console/ || u=/console/$f
	curl -s -D "$TMP/h.gz" -o "$TMP/f.gz" --cacert "$D/ca.pem" -H 'Accept-Encoding: gzip, br' "$URL$u"
	check "$f to a browser that takes gzip: gzip, smaller, the same file (gunzip | cmp)" bash -c \
		"grep -qix 'Content-Encoding: gzip' <(tr -d '\r' <'$TMP/h.gz') && \
		[ \$(stat -c %s '$TMP/f.gz') -lt \$(stat -c %s '$src') ] && gunzip -c '$TMP/f.gz' | cmp - '$src'"
	check "... with Vary: Accept-Encoding and the policy" bash -c \
		"tr -d '\r' <'$TMP/h.gz' | grep -qix 'Vary: Accept-Encoding' && grep -q '^Content-Security-Policy: ' '$TMP/h.gz'"
done
check "gzip;q=0 gets the plain file" bash -c "! curl -s -D - -o '$TMP/f.plain' --cacert '$D/ca.pem' \
	-H 'Accept-Encoding: gzip;q=0, identity' '$URL/console/app.js' | tr -d '\r' | grep -qi '^Content-Encoding' && \
	cmp '$TMP/f.plain' '$BUILD/console/app.js'"
eq "an unknown console file is 404" 404 "$(https_code /console/nope.js)"
eq "a file in a subfolder is 404" 404 "$(https_code /console/x/app.js)"
eq "POST /console/ is 405" 405 "$(https_code /console/ -X POST)"
check "no inline script, style or event handler in the console's HTML" bash -c \
	"! grep -Eqi '<script>|<script [^>]*>[^<]|<style|style=| on[a-z]+=' '$SRC'/console/*.html"
check "no script writes HTML (innerHTML, outerHTML, insertAdjacentHTML, document.write, eval)" bash -c \
	"! grep -Eq 'innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function' '$SRC'/console/*.js"

eq "a login's 'session' other than \"cookie\" is 400" 400 \
	"$(https_code /v1/login -d '{"name":"siti","password":"x","session":"jar"}')"

# The browser run prints its own "ok"/"not ok" lines; count them here.
# Three browsers on a loaded 2-CPU host take about 3 minutes. The long
# lists (250 people registered through the API, then the queue and the
# certificate list read page by page) run in a plain build only: under
# AddressSanitizer they would add minutes and test nothing more of the
# daemon's memory.
BULK=250
nm "$ESIGND" 2>/dev/null | grep -q __asan_init && BULK=0
ESD_URL=$URL ESD_DIR=$D ESD_TMP=$TMP ESD_CTL=$ESIGNCTL ESD_CORPUS=$CORPUS ESD_CONSOLE_BULK=$BULK \
	timeout "${ESD_CONSOLE_TIMEOUT:-380}" "$PY" "$SRC/tests/integration/console_browser.py" >"$TMP/browser.out" 2>&1
RC=$?
cat "$TMP/browser.out"
PASS=$((PASS + $(grep -c '^ok - ' "$TMP/browser.out")))
FAIL=$((FAIL + $(grep -c '^not ok - ' "$TMP/browser.out")))
eq "the browser run ends cleanly" 0 "$RC"
check "it checked something" grep -q '^ok - ' "$TMP/browser.out"

# What the browser did, as the server recorded it.
check "the audit names both verifiers" bash -c "$CTL audit export | grep -q '\"actor\":\"user:siti\"' && \
	$CTL audit export | grep -q '\"actor\":\"user:budi\"'"
check "the audit chain verifies" bash -c "$CTL --json audit verify | grep -q '\"ok\": true'"
# (the brackets keep the pattern from matching this shell's own line)
gone() {
	for _ in $(seq 50); do
		[ -z "$(browser_pids)" ] && return 0
		sleep 0.1
	done
	return 1
}
check "no chromium or chromedriver left behind" gone
kill_browsers
finish
