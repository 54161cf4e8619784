#!/usr/bin/env bash
# The hardening flags of meson.build reach every binary of this build
# (not only the Debian package's): readelf shows a position-independent
# executable, full RELRO (a GNU_RELRO segment and BIND_NOW), a
# non-executable stack and the stack protector; an optimised build
# without sanitizers also calls the FORTIFY_SOURCE checking functions.
. "$(dirname "$0")/lib.sh"

for tool in readelf nm; do
	command -v "$tool" >/dev/null || { echo "Bail out! $tool is missing (binutils)"; exit 1; }
done
# Sanitizer builds leave FORTIFY_SOURCE out (they replace the same calls).
sanitized=
nm "$ESIGND" 2>/dev/null | grep -q __asan_init && sanitized=1

for bin in "$ESIGND" "$ESIGNCTL" "$BUILD/tools/esd-hashsign"; do
	n=${bin#"$BUILD"/}
	check "$n is a position-independent executable" \
		bash -c "readelf -h '$bin' | grep -q 'Type: *DYN'"
	check "$n has a GNU_RELRO segment" bash -c "readelf -lW '$bin' | grep -q GNU_RELRO"
	check "$n binds now (full RELRO)" \
		bash -c "readelf -d '$bin' | grep -Eq 'BIND_NOW|FLAGS_1.*NOW'"
	check "$n has a non-executable stack" \
		bash -c "readelf -lW '$bin' | grep GNU_STACK | grep -qv RWE"
	check "$n uses the stack protector" \
		bash -c "nm -D '$bin' | grep -q __stack_chk_fail"
	if [ -z "$sanitized" ]; then
		check "$n calls FORTIFY_SOURCE's checking functions" \
			bash -c "nm -D '$bin' | grep -Eq '__[a-z0-9_]+_chk(@|$)'"
	fi
done
finish
