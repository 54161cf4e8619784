#!/bin/sh
# Lints docs/openapi.yaml with Redocly's CLI (the npm package
# @redocly/cli, run by npx) under the rules of redocly.yaml: 0 errors
# and 0 warnings expected (.redocly.lint-ignore.yaml names the three the
# redirects and the console's page earn on purpose).
#
#   scripts/lint-openapi.sh
#
# Needs node and npm, and the npm registry on first use (npx caches the
# package). CI runs it (scripts/test.sh with ESD_LINT_OPENAPI=1). The
# version is pinned (checked with Node.js 20; later releases announce
# Node.js 22).
# Exit 77 (a skip, not a pass) when Node.js is too old or the package is
# neither cached nor reachable: the linter is a tool from the network,
# not part of esignd.
set -eu
cd "$(dirname "$0")/.."
pkg=@redocly/cli@2.77.0
# Its engines: Node.js 20.19 or later (Debian 12's own nodejs is 18).
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number);
	process.exit(a > 20 || (a == 20 && b >= 19) ? 0 : 1)' 2>/dev/null; then
	echo "lint-openapi: $pkg needs Node.js 20.19 or later; this is $(node --version 2>/dev/null || echo none)" >&2
	exit 77
fi
if ! timeout 120 npx -y --offline "$pkg" --version >/dev/null 2>&1 &&
	! timeout 120 npm view "$pkg" version >/dev/null 2>&1; then
	echo "lint-openapi: $pkg is not cached and the npm registry is out of reach" >&2
	exit 77
fi
exec npx -y "$pkg" lint docs/openapi.yaml
