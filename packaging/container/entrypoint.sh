#!/bin/sh
# esignd container entrypoint.
#
# On the first start (no instance in the volume yet) it creates one with
# `esignctl init`; then it runs esignd in the foreground, so that the
# container's main process is the esignd master (SIGTERM drains it).
#
# Environment (defaults in brackets):
#   ESIGND_CONF   configuration file [/etc/esignd/esignd.conf]; in
#                 Kubernetes a ConfigMap mounted over /etc/esignd
#   ESIGND_DATA   the volume [/var/lib/esignd]; the instance is
#                 ESIGND_DATA/instance
#
# The HTTPS port given to `esignctl init` (it goes into the certificates'
# CRL, OCSP and CA-issuer URLs) is the port of https_listen in the
# configuration, and the module is its pkcs11_module. When pin_file in the
# configuration is not the instance's own PIN file (a Kubernetes Secret,
# for example), the first start changes the new token's user PIN to the
# one in that file and deletes the instance's copy, so that the PIN lives
# in the secret only.
set -eu

conf=${ESIGND_CONF:-/etc/esignd/esignd.conf}
data=${ESIGND_DATA:-/var/lib/esignd}
inst=$data/instance

say() { echo "esignd-entrypoint: $*" >&2; }

# conf_get KEY: the value of KEY in the configuration file (comments and
# surrounding blanks stripped), relative paths resolved against its
# directory when the key is a path.
conf_get() {
	v=$(sed -n "s/#.*//; s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*//p" "$conf" |
		sed 's/[[:space:]]*$//' | tail -1)
	case $1:$v in
	*:/*|*:|https_listen:*|token_label:*) ;;
	*) v=$(cd "$(dirname "$conf")" && pwd)/$v ;;
	esac
	printf '%s\n' "$v"
}

if [ ! -r "$conf" ]; then
	say "no configuration at $conf"
	exit 78
fi
# The file must parse before anything is created.
esignd -t -c "$conf" >&2

if [ ! -d "$inst/state" ]; then
	if [ -e "$inst" ]; then
		say "$inst exists but holds no state/: an interrupted first start?" \
			"Move it away and start again."
		exit 1
	fi
	listen=$(conf_get https_listen)
	port=${listen##*:}
	case $port in
	''|*[!0-9]*) port=8443 ;;
	esac
	module=$(conf_get pkcs11_module)
	[ -n "$module" ] || module=/usr/lib/softhsm/libsofthsm2.so
	pin_file=$(conf_get pin_file)
	secret_pin=
	if [ "$pin_file" != "$inst/pin" ]; then
		if [ ! -r "$pin_file" ]; then
			say "pin_file $pin_file cannot be read"
			exit 1
		fi
		# As esignd reads it: trailing whitespace trimmed.
		secret_pin=$(sed -e 's/[[:space:]]*$//' "$pin_file")
		if [ ${#secret_pin} -lt 4 ]; then
			say "the PIN in $pin_file is shorter than 4 characters;" \
				"put a random PIN there (e.g. openssl rand -hex 16)"
			exit 1
		fi
	fi
	say "no instance in $inst: creating one (HTTPS port $port, module $module)"
	mkdir -p "$data"
	esignctl init --dir "$inst" --https-port "$port" --module "$module" >&2
	if [ -n "$secret_pin" ]; then
		say "setting the token's user PIN to the one in $pin_file"
		if ! SOFTHSM2_CONF=$inst/softhsm2.conf ESD_OLD_PIN=$(cat "$inst/pin") \
			ESD_NEW_PIN=$secret_pin \
			pkcs11-tool --module "$module" --token-label esignd \
			--login --pin env:ESD_OLD_PIN --change-pin \
			--new-pin env:ESD_NEW_PIN >/dev/null; then
			say "changing the PIN failed; removing the new instance"
			rm -rf "$inst"
			exit 1
		fi
		rm -f "$inst/pin"
	fi
fi

sock=$(conf_get unix_socket)
if [ -n "$sock" ] && [ ! -d "$(dirname "$sock")" ]; then
	mkdir -p "$(dirname "$sock")" 2>/dev/null ||
		say "the directory of unix_socket ($(dirname "$sock")) does not exist"
fi

exec esignd -c "$conf" -f
