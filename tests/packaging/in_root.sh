#!/usr/bin/env bash
# Part of t_packaging.sh: the Debian package in a throwaway root.
#
#   unshare -m --propagation private bash in_root.sh WORKDIR DEB PORT PDF
#
# Runs as root in a private mount namespace. The throwaway root is an
# overlay of this machine's / with its writes on a tmpfs, so the package's
# maintainer scripts run for real (adduser, deb-systemd-helper, man-db)
# and nothing reaches the real system; it all goes when the namespace
# ends. In it: install, the esignd user and directories, `systemd-analyze
# verify` of the installed unit, an instance made by `esignctl init` as the
# esignd user, the service run by run_unit.py under the unit's sandbox
# (Type=notify readiness, health, a seal, reload, drain), an upgrade that
# keeps the configuration and the instance, remove, and purge.
#
# Prints one "ok - ..." / "not ok - ..." line per check, like lib.sh.
set -u
W=$1
DEB=$2
PORT=$3
PDF=$4
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3

EMU=
# Whatever ends this script, the service it started goes too.
trap 'if [ -n "$EMU" ]; then kill -TERM "$EMU"; sleep 1; kill -KILL "$EMU"; fi 2>/dev/null' EXIT
ok() { echo "ok - root: $*"; }
not_ok() { echo "not ok - root: $*"; }
check() {
	local what=$1
	shift
	if "$@" >"$W/check.out" 2>&1; then
		ok "$what"
	else
		not_ok "$what"
		sed 's/^/#   /' "$W/check.out" | head -20
	fi
}
eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (expected '$2', got '$3')"; fi
}

# ---- the throwaway root -------------------------------------------------------
mkdir -p "$W/ov"
mount -t tmpfs -o mode=0755 tmpfs "$W/ov" || { not_ok "tmpfs for the overlay"; exit 1; }
mkdir -p "$W/ov/upper" "$W/ov/work" "$W/ov/root"
R=$W/ov/root
if ! mount -t overlay overlay \
	-o "lowerdir=/,upperdir=$W/ov/upper,workdir=$W/ov/work" "$R"; then
	not_ok "an overlay of / as a throwaway root (overlayfs)"
	exit 1
fi
for d in proc sys dev; do
	mount --rbind "/$d" "$R/$d"
done
# Its own /run and /tmp: nothing shared with the real ones.
mount -t tmpfs -o mode=0755 tmpfs "$R/run"
mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"
T=/var/tmp/esd-pkgtest
mkdir -p "$R$T"
cp "$DEB" "$R$T/esignd.deb"
cp "$HERE/run_unit.py" "$PDF" "$R$T/"
in_root() { chroot "$R" "$@"; }

# ---- install -------------------------------------------------------------------
check "dpkg -i installs the package (maintainer scripts run)" \
	in_root env DEBIAN_FRONTEND=noninteractive dpkg -i "$T/esignd.deb"
pw=$(in_root getent passwd esignd)
IFS=: read -r _ _ uid gid _ home shell <<<"$pw"
check "postinst created the system user esignd (uid $uid < 1000)" test -n "$pw" -a "${uid:-1000}" -lt 1000
eq "its home is /var/lib/esignd, its shell nologin" "/var/lib/esignd /usr/sbin/nologin" "$home $shell"
eq "/var/lib/esignd: esignd:esignd, 0750" "esignd:esignd 750" "$(in_root stat -c '%U:%G %a' /var/lib/esignd)"
check "/etc/esignd/esignd.conf is a registered conffile" \
	bash -c "chroot '$R' dpkg-query -W -f='\${Conffiles}' esignd | grep -q '^ /etc/esignd/esignd.conf '"
check "the unit is enabled (multi-user.target.wants)" \
	test -L "$R/etc/systemd/system/multi-user.target.wants/esignd.service"
check "systemd-analyze verify accepts the installed unit (binaries, man pages)" \
	in_root systemd-analyze verify /lib/systemd/system/esignd.service
check "man finds esignd(8), esignctl(1) and esignd.conf(5)" \
	in_root man -w esignd.8 esignctl.1 esignd.conf.5
# Without systemd (this root's /run is empty): the tmpfiles.d entry makes
# the socket's folder, as docs/packaging.md says.
check "without systemd, systemd-tmpfiles --create esignd.conf makes /run/esignd" \
	in_root systemd-tmpfiles --create esignd.conf
eq "... esignd:esignd, 0750" "esignd:esignd 750" "$(in_root stat -c '%U:%G %a' /run/esignd 2>/dev/null)"

# ---- an instance, as the esignd user -------------------------------------------
# A local change to the conffile: the test's port (and kept on upgrade).
sed -i "s/^https_listen = .*/https_listen = 127.0.0.1:$PORT/" "$R/etc/esignd/esignd.conf"
# As docs/packaging.md says, without --https-port: init takes the port
# from /etc/esignd/esignd.conf, whose state_dir the instance is.
check "runuser -u esignd -- esignctl init --dir /var/lib/esignd/instance" \
	bash -c "chroot '$R' runuser -u esignd -- esignctl init --dir /var/lib/esignd/instance >'$W/init.out' 2>&1"
eq "the instance belongs to esignd" "esignd" "$(in_root stat -c %U /var/lib/esignd/instance/state/data.mdb 2>/dev/null)"
check "one configuration: init writes no second esignd.conf into the instance" \
	test ! -e "$R/var/lib/esignd/instance/esignd.conf"
check "... and prints the one the unit and esignctl read, /etc/esignd/esignd.conf" \
	grep -q '^  configuration   /etc/esignd/esignd.conf$' "$W/init.out"
check "... its socket, /run/esignd/esignd.sock, not one in the instance" \
	bash -c "grep -q '^  Unix socket     /run/esignd/esignd.sock ' '$W/init.out' && ! grep -q 'instance/esignd.sock' '$W/init.out'"
check "... the port of its https_listen ($PORT)" grep -q "^  HTTPS API       https://127.0.0.1:$PORT/v1/health$" "$W/init.out"
check "... and how the first staff account is made (esignctl user create --role admin)" \
	grep -q '^  esignctl user create --name NAME --email ADDRESS --role admin$' "$W/init.out"
check "the TLS certificate's chain names that port (openssl)" \
	bash -c "openssl x509 -in '$R/var/lib/esignd/instance/issuing-ca.pem' -noout -text | grep -q '127.0.0.1:$((PORT + 1))/'"
pin_sum=$(sha256sum <"$R/var/lib/esignd/instance/pin")

# ---- the service, under the unit's sandbox --------------------------------------
UNIT=/lib/systemd/system/esignd.service
# run_service UNIT LOG: starts run_unit.py in the root; sets EMU.
run_service() {
	chroot "$R" unshare -m "$PY" "$T/run_unit.py" "$1" >"$2" 2>&1 &
	EMU=$!
}
# wait_for SECONDS COMMAND...: until COMMAND succeeds or the emulator ends.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	while [ $SECONDS -lt $deadline ]; do
		"$@" && return 0
		kill -0 "$EMU" 2>/dev/null || break
		sleep 0.1
	done
	"$@"
}
# reloaded LOG: a READY=1 came after RELOADING=1.
reloaded() {
	awk '/unit: notify RELOADING=1/ { r = 1 } r && /unit: notify READY=1/ { f = 1 }
		END { exit !f }' "$1"
}
LOG=$W/unit.log
run_service "$UNIT" "$LOG"
check "ExecStartPre: esignd -t accepts /etc/esignd/esignd.conf" \
	wait_for 20 grep -q "configuration ok" "$LOG"
check "Type=notify: READY=1 from the main process, under the sandbox" \
	wait_for 30 grep -q "unit: notify READY=1" "$LOG"
MAIN=$(sed -n 's/^unit: main pid //p' "$LOG" | head -1)
URL="https://127.0.0.1:$PORT"
CA="$R/var/lib/esignd/instance/ca.pem"
eq "GET /v1/health: 200" 200 \
	"$(curl -s -o "$W/health" -w '%{http_code}' --cacert "$CA" "$URL/v1/health")"
check "... token, store and clock ok" grep -q '"token":{"ok":true' "$W/health"
eq "the main process runs as esignd" "$uid" "$(awk '/^Uid:/{print $2}' "/proc/$MAIN/status" 2>/dev/null)"
eq "... with no capabilities and no_new_privs" "0000000000000000 1" \
	"$(awk '/^CapBnd:/{c=$2} /^NoNewPrivs:/{n=$2} END{print c, n}' "/proc/$MAIN/status" 2>/dev/null)"
eq "... in seccomp filter mode" 2 "$(awk '/^Seccomp:/{print $2}' "/proc/$MAIN/status" 2>/dev/null)"
main_filters=$(awk '/^Seccomp_filters:/{print $2}' "/proc/$MAIN/status" 2>/dev/null)
more=0
for c in $(pgrep -P "$MAIN"); do
	n=$(awk '/^Seccomp_filters:/{print $2}' "/proc/$c/status" 2>/dev/null)
	[ "${n:-0}" -gt "${main_filters:-0}" ] && more=$((more + 1))
done
eq "the front stacks its own seccomp filter on the unit's" 1 "$more"
check "esignctl status (root, over /run/esignd/esignd.sock)" in_root esignctl status
TOK=$(cat "$R/var/lib/esignd/instance/admin.token")
eq "POST /v1/seal (B-T): 200 under the sandbox (token, LMDB, TSA)" 200 \
	"$(curl -s -o "$W/sealed.pdf" -w '%{http_code}' --cacert "$CA" \
		-H "Authorization: Bearer $TOK" -F "file=@$PDF" -F level=B-T "$URL/v1/seal")"
check "... pdfsig: the signature is valid" bash -c "pdfsig '$W/sealed.pdf' | grep -q 'Signature is Valid.'"
check "esignctl audit verify" in_root esignctl audit verify
kill -HUP "$EMU"
check "ExecReload (kill -HUP \$MAINPID): RELOADING=1, then READY=1" \
	wait_for 10 reloaded "$LOG"
kill -TERM "$EMU"
wait "$EMU"
st=$?
EMU=
eq "SIGTERM (KillMode=mixed): the master drains and exits 0" 0 "$st"
check "... STOPPING=1 was sent" grep -q "unit: notify STOPPING=1" "$LOG"
check "... the socket file is gone" test ! -e "$R/run/esignd/esignd.sock"
if grep -q "killed by signal" "$LOG"; then
	not_ok "no process was killed by a signal under the sandbox"
	grep "killed by signal" "$LOG" | sed 's/^/#   /'
else
	ok "no process was killed by a signal under the sandbox"
fi

# The sandbox bites: without "seccomp" in SystemCallFilter= the front
# cannot load its own filter and is killed by SIGSYS.
sed 's/^\(SystemCallFilter=@system-service\) seccomp /\1 /' "$R$UNIT" >"$R$T/no-seccomp.service"
run_service "$T/no-seccomp.service" "$W/unit2.log"
for _ in $(seq 300); do
	kill -0 "$EMU" 2>/dev/null || break
	sleep 0.1
done
kill -TERM "$EMU" 2>/dev/null # still serving after 30 s: stop it, the check fails
wait "$EMU"
st=$?
EMU=
check "a unit without 'seccomp' in SystemCallFilter= fails: front killed by SIGSYS (exit $st)" \
	bash -c "[ $st -ne 0 ] && grep -q 'front (pid [0-9]*) killed by signal 31' '$W/unit2.log'"

# ---- upgrade, remove, purge -------------------------------------------------------
up=$W/up
rm -rf "$up"
dpkg-deb -R "$DEB" "$up"
ver=$(sed -n 's/^Version: //p' "$up/DEBIAN/control")
sed -i "s/^Version: .*/Version: $ver+upgrade1/" "$up/DEBIAN/control"
dpkg-deb -b "$up" "$R$T/esignd-upgrade.deb" >/dev/null
check "dpkg -i of a newer version upgrades the package" \
	in_root env DEBIAN_FRONTEND=noninteractive dpkg -i "$T/esignd-upgrade.deb"
eq "... the upgraded version is installed" "$ver+upgrade1" "$(in_root dpkg-query -W -f='${Version}' esignd)"
check "... the local change to /etc/esignd/esignd.conf is kept" \
	grep -q "^https_listen = 127.0.0.1:$PORT$" "$R/etc/esignd/esignd.conf"
eq "... the instance is kept (same PIN file)" "$pin_sum" "$(sha256sum <"$R/var/lib/esignd/instance/pin" 2>/dev/null)"
eq "... the esignd user keeps its uid" "$uid" "$(in_root id -u esignd)"
check "dpkg -r removes the package" in_root dpkg -r esignd
check "... the binaries are gone" test ! -e "$R/usr/sbin/esignd"
check "... the configuration and the instance stay" \
	test -f "$R/etc/esignd/esignd.conf" -a -f "$R/var/lib/esignd/instance/state/data.mdb"
audit_sum=$(sha256sum <"$R/var/lib/esignd/instance/state/data.mdb")
check "dpkg -P purges it" bash -c "chroot '$R' dpkg -P esignd >'$W/purge.out' 2>&1"
check "... /etc/esignd is gone" test ! -e "$R/etc/esignd"
eq "... the instance stays: the token, the PINs, LMDB with the audit log (same bytes)" "$audit_sum" \
	"$(sha256sum <"$R/var/lib/esignd/instance/state/data.mdb" 2>/dev/null)"
check "... the token's files too" bash -c "ls '$R/var/lib/esignd/instance/tokens/'*/*.object >/dev/null"
check "... and the purge says where it left them and how to delete them" \
	bash -c "grep -q 'kept the instance in /var/lib/esignd/instance' '$W/purge.out' && \
		grep -q '/var/lib/esignd/purge-instance' '$W/purge.out'"
check "reinstalled, the kept instance serves again: esignd -t" \
	bash -c "chroot '$R' env DEBIAN_FRONTEND=noninteractive dpkg -i '$T/esignd.deb' >/dev/null 2>&1 && \
		chroot '$R' esignd -t -c /etc/esignd/esignd.conf"
touch "$R/var/lib/esignd/purge-instance"
check "with /var/lib/esignd/purge-instance, dpkg -P purges the instance too" in_root dpkg -P esignd
check "... /etc/esignd and /var/lib/esignd are gone" test ! -e "$R/etc/esignd" -a ! -e "$R/var/lib/esignd"
check "... the unit's enablement symlink is gone" \
	test ! -e "$R/etc/systemd/system/multi-user.target.wants/esignd.service"
