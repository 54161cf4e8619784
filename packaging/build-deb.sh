#!/usr/bin/env bash
# Builds the esignd Debian package out of tree and puts the .deb files
# (with the .buildinfo and .changes) in OUTDIR.
#
#   packaging/build-deb.sh [--rev REV] [-j N] OUTDIR
#
# The source is copied to a temporary directory, packaging/debian becomes
# its debian/, and dpkg-buildpackage -b -us -uc runs there, so the
# checkout never gets a debian/ directory or build output.
#
#   (default)   the working tree: tracked files and untracked files that
#               .gitignore does not exclude, as they are on disk (or, when
#               the source is not a git checkout, every file except build*/,
#               demo/ and .git/);
#   --rev REV   the source as committed at REV (git archive), with this
#               checkout's packaging/ directory on top.
#
# -j N sets DEB_BUILD_OPTIONS parallel=N (default 2). The build log is
# OUTDIR/esignd-build.log. Exit status: 0 built, 1 the build failed,
# 2 usage, 77 dpkg-buildpackage or debhelper is not installed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
rev=
jobs=2

usage() {
	echo "usage: $0 [--rev REV] [-j N] OUTDIR" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--rev) [ $# -ge 2 ] || usage; rev=$2; shift 2 ;;
	-j) [ $# -ge 2 ] || usage; jobs=$2; shift 2 ;;
	-j[0-9]*) jobs=${1#-j}; shift ;;
	-h|--help) usage ;;
	-*) usage ;;
	*) break ;;
	esac
done
[ $# -eq 1 ] || usage
case $jobs in ''|*[!0-9]*) usage ;; esac

for tool in dpkg-buildpackage dh; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "build-deb.sh: $tool is not installed (apt-get install dpkg-dev debhelper)" >&2
		exit 77
	fi
done

mkdir -p "$1"
out=$(cd "$1" && pwd)
work=$(mktemp -d /tmp/esd-pkg.XXXXXX)
trap 'rm -rf "$work"' EXIT
tree="$work/esignd"
mkdir "$tree"

if [ -n "$rev" ]; then
	git -C "$src" archive --format=tar "$rev" | tar -x -C "$tree"
	rm -rf "$tree/packaging"
	cp -a "$here" "$tree/packaging"
elif git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# Tracked files deleted from the working tree are left out.
	git -C "$src" ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do
			if [ -e "$src/$f" ] || [ -L "$src/$f" ]; then
				printf '%s\0' "$f"
			fi
		done |
		tar -C "$src" --null --no-recursion -T - -cf - | tar -x -C "$tree"
else
	tar -C "$src" --exclude='./build*' --exclude=./demo --exclude=./debian --exclude=./.git \
		-cf - . | tar -x -C "$tree"
fi
rm -rf "$tree/debian"
cp -a "$here/debian" "$tree/debian"

# The package version follows the project's: 0.1.0 in meson.build is
# 0.1.0-N in debian/changelog.
meson_version=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" "$tree/meson.build" | head -1)
deb_version=$(cd "$tree" && dpkg-parsechangelog -S Version)
if [ "${deb_version%-*}" != "$meson_version" ]; then
	echo "build-deb.sh: debian/changelog says $deb_version, meson.build says $meson_version;" \
		"add a changelog entry (dch -v $meson_version-1)" >&2
	exit 1
fi

log="$out/esignd-build.log"
echo "building esignd $deb_version in $tree (log: $log)"
if ! (cd "$tree" &&
	DEB_BUILD_OPTIONS="parallel=$jobs ${DEB_BUILD_OPTIONS:-}" \
		dpkg-buildpackage -b -us -uc) >"$log" 2>&1; then
	tail -40 "$log" >&2
	echo "build-deb.sh: dpkg-buildpackage failed (full log: $log)" >&2
	exit 1
fi
shopt -s nullglob
built=("$work"/*.deb "$work"/*.buildinfo "$work"/*.changes)
[ ${#built[@]} -gt 0 ] || { echo "build-deb.sh: no package was produced" >&2; exit 1; }
cp "${built[@]}" "$out/"
for f in "${built[@]}"; do
	echo "$out/$(basename "$f")"
done
