#!/usr/bin/env bash
# Installs the Debian packages in scripts/deps.txt that are missing.
set -eu
cd "$(dirname "$0")"
missing=()
for p in $(grep -v '^#' deps.txt); do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q "${missing[@]}"
