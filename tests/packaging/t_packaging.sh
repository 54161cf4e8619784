#!/usr/bin/env bash
# Packaging (packaging/, docs/packaging.md): the Debian package, the
# systemd unit, the container entrypoint and the Kubernetes manifests,
# judged by dpkg-deb, lintian, man, systemd-analyze, yamllint, curl and
# pdfsig.
#
#   tests/packaging/t_packaging.sh BUILD_DIR
#
# BUILD_DIR is the meson build directory (lib.sh's convention); the test
# builds its own package from the source tree with packaging/build-deb.sh
# (ESD_PKG_REV=REV builds the source committed at REV instead of the
# working tree). It exits 77 (skipped) only when dpkg-buildpackage is not
# installed. The throwaway-root part (tests/packaging/in_root.sh) needs
# root and overlayfs; without them it is reported as skipped.
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
if ! command -v dpkg-buildpackage >/dev/null 2>&1; then
	echo "t_packaging.sh: SKIP: dpkg-buildpackage is not installed (apt-get install dpkg-dev debhelper)"
	exit 77
fi
. "$SRC/tests/integration/lib.sh"
PY=/usr/bin/python3
VERSION=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" "$SRC/meson.build" | head -1)

# tally FILE: adds the ok / not ok lines another script printed.
tally() {
	PASS=$((PASS + $(grep -c '^ok - ' "$1")))
	FAIL=$((FAIL + $(grep -c '^not ok - ' "$1")))
}

# make_pdf OUT: a small one-page PDF with a correct cross-reference table.
make_pdf() {
	"$PY" - "$1" <<'EOF'
import sys
content = b"BT /F1 24 Tf 72 720 Td (esignd packaging test) Tj ET"
objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
offs = []
for i, o in enumerate(objs, 1):
    offs.append(len(out))
    out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
xref = len(out)
out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
for o in offs:
    out += b"%010d 00000 n \n" % o
out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
open(sys.argv[1], "wb").write(out)
EOF
}

# ---- the package ------------------------------------------------------------------
OUT=$TMP/deb
if "$SRC/packaging/build-deb.sh" ${ESD_PKG_REV:+--rev "$ESD_PKG_REV"} "$OUT" >"$TMP/build.out" 2>&1; then
	ok "packaging/build-deb.sh: dpkg-buildpackage -b builds the package out of tree"
else
	not_ok "packaging/build-deb.sh: dpkg-buildpackage -b builds the package out of tree"
	sed 's/^/#   /' "$TMP/build.out" | tail -40
	echo "Bail out! no package to test"
	finish
	exit 1
fi
check "the build ran the unit tests (meson test --suite unit)" \
	grep -q "meson test --suite unit" "$OUT/esignd-build.log"
check "the checkout got no debian/ directory" test ! -e "$SRC/debian"
DEB=$(ls "$OUT"/esignd_*.deb)
eq "the package's version follows meson.build" "$VERSION" \
	"$(dpkg-deb -f "$DEB" Version | sed 's/-[^-]*$//')"

dpkg-deb -c "$DEB" | awk '{print $NF}' | sed 's#^\./#/#' >"$TMP/contents"
for f in /usr/sbin/esignd /usr/bin/esignctl /usr/bin/esd-hashsign \
	/lib/systemd/system/esignd.service /etc/esignd/esignd.conf \
	/usr/share/man/man8/esignd.8.gz /usr/share/man/man1/esignctl.1.gz \
	/usr/share/man/man5/esignd.conf.5.gz /usr/share/man/man1/esd-hashsign.1.gz \
	/usr/share/doc/esignd/copyright /var/lib/esignd/ /usr/lib/tmpfiles.d/esignd.conf; do
	check "dpkg-deb -c: $f" grep -qx "$f" "$TMP/contents"
done
eq "conffiles: /etc/esignd/esignd.conf" "/etc/esignd/esignd.conf" \
	"$(dpkg-deb --info "$DEB" conffiles 2>/dev/null)"
# debian/control's Build-Depends name what scripts/deps.txt's build
# section does (gcc comes with build-essential).
missing=
for p in $(sed -n '/^# build/,/^# /{/^#/d;p}' "$SRC/scripts/deps.txt"); do
	[ "$p" = gcc ] && continue
	grep -qE "^ +$p,?\$|Build-Depends: .*\b$p\b" "$SRC/packaging/debian/control" || missing="$missing $p"
done
eq "debian/control Build-Depends covers the build section of scripts/deps.txt" "" "${missing# }"
check "Depends: adduser and the shared libraries" \
	bash -c "dpkg-deb -f '$DEB' Depends | grep -q adduser && dpkg-deb -f '$DEB' Depends | grep -q libssl3"
dpkg-deb -e "$DEB" "$TMP/ctrl"
check "postinst creates the esignd system user" grep -q "adduser --system" "$TMP/ctrl/postinst"
check "postinst enables the unit (dh_installsystemd)" grep -q "deb-systemd-helper enable 'esignd.service'" "$TMP/ctrl/postinst"
check "postrm purge removes /etc/esignd, and /var/lib/esignd only with purge-instance" \
	bash -c "grep -A8 '\"purge\"' '$TMP/ctrl/postrm' | grep -q 'rm -rf /etc/esignd /run/esignd' && \
		grep -q 'if \[ -e /var/lib/esignd/purge-instance \]' '$TMP/ctrl/postrm'"
dpkg-deb --fsys-tarfile "$DEB" | tar -xO ./usr/lib/tmpfiles.d/esignd.conf >"$TMP/tmpfiles" 2>/dev/null
sock_dir=$(dirname "$(sed -n 's/^unix_socket = //p' "$SRC/packaging/debian/conf/esignd.conf")")
check "the tmpfiles.d entry makes the packaged unix_socket's folder ($sock_dir), esignd's, 0750" \
	grep -qx "d $sock_dir 0750 esignd esignd -" "$TMP/tmpfiles"

lintian --no-tag-display-limit "$OUT"/*.deb >"$TMP/lintian.out" 2>&1
lrc=$?
errors=$(grep -c '^E: ' "$TMP/lintian.out")
eq "lintian: no errors (exit $lrc)" 0 "$errors"
grep -E '^(E|W): ' "$TMP/lintian.out" | sed 's/^/#   /'

# ---- the files in it -----------------------------------------------------------------
X=$TMP/root
dpkg-deb -x "$DEB" "$X"
check "the unit in the package is packaging/systemd/esignd.service" \
	cmp "$X/lib/systemd/system/esignd.service" "$SRC/packaging/systemd/esignd.service"
for m in man8/esignd.8 man1/esignctl.1 man5/esignd.conf.5 man1/esd-hashsign.1; do
	LC_ALL=C.UTF-8 MANWIDTH=250 MANROFFOPT=-rHY=0 man --warnings -E UTF-8 -l "$X/usr/share/man/$m.gz" \
		>"$TMP/$(basename $m).txt" 2>"$TMP/man.err"
	check "man $(basename $m): renders without warnings" test ! -s "$TMP/man.err"
done
# The man pages say what the code does: every configuration key of
# daemon/config.c is in esignd.conf(5), every command and option of the
# tools' usage in their pages.
keys=$(sed -n -e 's/^[[:space:]]*{ S(\([a-z0-9_]*\),.*/\1/p' \
	-e 's/^[[:space:]]*{ P(\([a-z0-9_]*\), *\([a-z0-9_]*\),.*/profile.\1.\2/p' \
	<(if [ -n "${ESD_PKG_REV:-}" ]; then git -C "$SRC" show "$ESD_PKG_REV:daemon/config.c"
	else cat "$SRC/daemon/config.c"; fi))
missing=
for k in $keys; do
	grep -qE -- "^       $k( |\$)" "$TMP/esignd.conf.5.txt" || missing="$missing $k"
done
eq "esignd.conf(5) describes every key of daemon/config.c ($(echo $keys | wc -w))" "" "${missing# }"
"$X/usr/bin/esignctl" --help >"$TMP/ctl.help" 2>&1
# Each usage line "  WORD [WORD|WORD] ..." names commands ("request
# show|approve" two); the page must name each, and every --option.
missing=
while read -r cmd; do
	grep -qF -- "$cmd" "$TMP/esignctl.1.txt" || missing="$missing [$cmd]"
done < <(sed -n '/^usage:/,/^The socket/p' "$TMP/ctl.help" |
	awk '/^  [a-z]/ { if ($2 !~ /^[a-z|]+$/) { print $1; next }
		n = split($2, alt, "|"); for (i = 1; i <= n; i++) print $1 " " alt[i] }')
for o in $(grep -o -- '--[a-z][a-z-]*' "$TMP/ctl.help" | sort -u); do
	grep -qF -- "$o" "$TMP/esignctl.1.txt" || missing="$missing $o"
done
eq "esignctl(1) describes every command and option of esignctl --help" "" "${missing# }"
missing=
for o in $("$X/usr/sbin/esignd" 2>&1 | grep -o -- '-[a-zA-Z]\b' | sort -u) -V; do
	grep -q -- "^       $o\b" "$TMP/esignd.8.txt" || missing="$missing $o"
done
eq "esignd(8) describes every option of esignd's usage" "" "${missing# }"
missing=
for o in $("$X/usr/bin/esd-hashsign" 2>&1 | grep -o -- '--[a-z-]*' | sort -u); do
	grep -q -- "$o" "$TMP/esd-hashsign.1.txt" || missing="$missing $o"
done
eq "esd-hashsign(1) describes every option of its usage" "" "${missing# }"

# ---- the packaged binaries, extracted, against a temporary instance ---------------------
ESIGND=$X/usr/sbin/esignd
ESIGNCTL=$X/usr/bin/esignctl
eq "esignd -V" "esignd $VERSION" "$("$ESIGND" -V)"
check "esignd -t accepts the packaged /etc/esignd/esignd.conf" "$ESIGND" -t -c "$X/etc/esignd/esignd.conf"
esd_init
check "esignd -t accepts the instance's esignd.conf" "$ESIGND" -t -c "$D/esignd.conf"
esd_start
eq "the packaged esignd serves: GET /v1/health 200" 200 "$(https_code /v1/health)"
check "the packaged esignctl: status" "$ESIGNCTL" -c "$D/esignd.conf" status
make_pdf "$TMP/in.pdf"
check "the packaged esd-hashsign seals a PDF" "$X/usr/bin/esd-hashsign" --url "$URL" \
	--cacert "$D/ca.pem" --token-file "$D/admin.token" "$TMP/in.pdf" "$TMP/hs.pdf"
check "... pdfsig: the signature is valid" bash -c "pdfsig '$TMP/hs.pdf' | grep -q 'Signature is Valid.'"
kill -TERM "$MASTER"
wait "$MASTER"
eq "SIGTERM: esignd drains and exits 0" 0 $?
MASTER=

# ---- the systemd unit ------------------------------------------------------------------
U=$SRC/packaging/systemd/esignd.service
for d in "Type=notify" "User=esignd" "ExecStart=/usr/sbin/esignd -c /etc/esignd/esignd.conf -f" \
	'ExecReload=/bin/kill -HUP $MAINPID' "KillMode=mixed" "ProtectSystem=strict" \
	"PrivateTmp=yes" "NoNewPrivileges=yes" "CapabilityBoundingSet=" "MemoryDenyWriteExecute=yes" \
	"StateDirectory=esignd" "RuntimeDirectory=esignd" "ConfigurationDirectory=esignd" \
	"ProtectHome=yes" "PrivateDevices=yes" "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6"; do
	check "esignd.service: $d" grep -qxF -- "$d" "$U"
done
check "esignd.service: SystemCallFilter=@system-service (and seccomp for the front)" \
	grep -q '^SystemCallFilter=@system-service .*\bseccomp\b' "$U"
systemd-analyze security --offline=true "$U" >"$TMP/security.out" 2>&1
score=$(sed -n 's/.*Overall exposure level for esignd.service: \([0-9.]*\).*/\1/p' "$TMP/security.out")
check "systemd-analyze security --offline=true: exposure ${score:-?} <= 2.0" \
	awk -v s="${score:-99}" 'BEGIN { exit !(s + 0 <= 2.0) }'

# ---- the unit's sandbox and the package's life cycle, in a throwaway root --------------
if [ "$(id -u)" != 0 ]; then
	ok "# SKIP throwaway root: needs root (unshare, overlayfs, chroot)"
elif ! unshare -m true 2>/dev/null; then
	ok "# SKIP throwaway root: no mount namespaces here"
else
	unshare -m --propagation private bash "$HERE/in_root.sh" "$TMP/inroot" "$DEB" \
		"$(free_port)" "$TMP/in.pdf" >"$TMP/inroot.out" 2>&1
	cat "$TMP/inroot.out"
	tally "$TMP/inroot.out"
	if ! grep -q '^ok - root: dpkg -P purges it' "$TMP/inroot.out"; then
		not_ok "the throwaway-root checks ran to the end"
		tail -30 "$TMP/inroot/unit.log" 2>/dev/null | sed 's/^/#   /'
	fi
fi

# ---- the container image's entrypoint, with the packaged binaries ------------------------
CF=$SRC/packaging/container/Containerfile
eq "Containerfile: two stages from debian:12" "debian:12 AS build|debian:12" \
	"$(sed -n 's/^FROM //p' "$CF" | paste -sd'|')"
check "Containerfile: the entrypoint" grep -q '^ENTRYPOINT \["/usr/local/bin/esignd-entrypoint"\]' "$CF"
BUILD_DEPS=$(sed -n '/^# build/,/^# /{/^#/d;p}' "$SRC/scripts/deps.txt")
# The packages of the Containerfile's apt-get install lines.
CF_PKGS=$(awk '/apt-get install/ { on = 1; print; next } /^ *&&/ { on = 0 } on' "$CF" |
	tr ' \\' '\n\n' | grep -E '^[a-z0-9][a-z0-9.+-]+$' | grep -vxE 'apt-get|install|rm|sed|chown|RUN')
missing=
for p in $BUILD_DEPS $CF_PKGS; do
	apt-cache show --no-all-versions "$p" >/dev/null 2>&1 || missing="$missing $p"
done
eq "every package the Containerfile installs is in Debian (apt-cache show)" "" "${missing# }"

EP=$SRC/packaging/container/entrypoint.sh
CT=$TMP/ct
mkdir -p "$CT/run"
CPORT=$(free_port)
# The packaged configuration as the image has it, moved to temporary paths.
sed -e "s#/var/lib/esignd#$CT/data#g" -e "s#/run/esignd#$CT/run#g" \
	-e "s/^https_listen = .*/https_listen = 127.0.0.1:$CPORT/" \
	"$X/etc/esignd/esignd.conf" >"$CT/esignd.conf"
# run_entrypoint CONF DATA LOG: starts it in the background, sets EPID.
run_entrypoint() {
	PATH="$X/usr/bin:$X/usr/sbin:$PATH" ESIGND_CONF=$1 ESIGND_DATA=$2 sh "$EP" >"$3" 2>&1 &
	EPID=$!
}
# health_on PORT CA: waits up to 30 s for 200.
health_on() {
	local i
	for i in $(seq 300); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$2" "https://127.0.0.1:$1/v1/health")" = 200 ] &&
			return 0
		kill -0 "$EPID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
stop_entrypoint() {
	kill -TERM "$EPID" 2>/dev/null
	wait "$EPID"
}
run_entrypoint "$CT/esignd.conf" "$CT/data" "$TMP/ep1.log"
check "entrypoint, first start: esignctl init, then esignd serves" health_on "$CPORT" "$CT/data/instance/ca.pem"
check "... the instance is in the volume" test -f "$CT/data/instance/state/data.mdb"
stop_entrypoint
eq "... esignd is the container's main process: SIGTERM drains, exit 0" 0 $?
ca_sum=$(sha256sum <"$CT/data/instance/ca.pem")
run_entrypoint "$CT/esignd.conf" "$CT/data" "$TMP/ep2.log"
check "entrypoint, restart: serves again" health_on "$CPORT" "$CT/data/instance/ca.pem"
check "... without a new instance" bash -c "! grep -q 'creating one' '$TMP/ep2.log'"
eq "... same CA" "$ca_sum" "$(sha256sum <"$CT/data/instance/ca.pem")"
stop_entrypoint

# The Kubernetes ConfigMap's esignd.conf with the PIN from a Secret.
K=$TMP/k8s
mkdir -p "$K/secret" "$K/run"
KPORT=$(free_port)
"$PY" -c 'import sys, yaml; sys.stdout.write(yaml.safe_load(open(sys.argv[1]))["data"]["esignd.conf"])' \
	"$SRC/packaging/k8s/configmap.yaml" |
	sed -e "s#/var/lib/esignd#$K/data#g" -e "s#/run/secrets/esignd#$K/secret#g" \
		-e "s#/run/esignd#$K/run#g" -e "s/^https_listen = .*/https_listen = 127.0.0.1:$KPORT/" \
		-e "s/^admin_uids = .*/admin_uids = $(id -u)/" >"$K/esignd.conf"
printf '' >"$K/secret/pin"
run_entrypoint "$K/esignd.conf" "$K/data" "$TMP/ep3.log"
for _ in $(seq 300); do
	kill -0 "$EPID" 2>/dev/null || break
	sleep 0.1
done
kill -TERM "$EPID" 2>/dev/null # still running after 30 s: the check fails
wait "$EPID"
st=$?
check "entrypoint: an empty PIN secret stops the first start (exit $st) with a message" \
	bash -c "[ $st -ne 0 ] && grep -q 'shorter than 4 characters' '$TMP/ep3.log' && [ ! -e '$K/data/instance' ]"
openssl rand -hex 16 >"$K/secret/pin"
run_entrypoint "$K/esignd.conf" "$K/data" "$TMP/ep4.log"
check "entrypoint with the ConfigMap's esignd.conf: the token takes the Secret's PIN, esignd serves" \
	health_on "$KPORT" "$K/data/instance/ca.pem"
check "... the instance keeps no copy of the PIN" test ! -e "$K/data/instance/pin"
check "... esignctl status over the ConfigMap's unix_socket" "$ESIGNCTL" -c "$K/esignd.conf" status
stop_entrypoint
if [ "$FAIL" -gt 0 ]; then
	for l in ep1 ep2 ep3 ep4; do
		echo "# $l.log:"
		tail -5 "$TMP/$l.log" | sed 's/^/#   /'
	done
fi

# ---- the Kubernetes manifests ---------------------------------------------------------------
check "yamllint -s packaging/k8s" yamllint -s "$SRC/packaging/k8s"
"$PY" "$HERE/check_k8s.py" "$SRC/packaging/k8s" >"$TMP/k8s.out" 2>&1
cat "$TMP/k8s.out"
tally "$TMP/k8s.out"
grep -q '^ok - k8s: a StatefulSet' "$TMP/k8s.out" || not_ok "check_k8s.py ran"

finish
