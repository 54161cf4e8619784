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
set -eu
cd "$(dirname "$0")/.."
exec npx -y @redocly/cli@2.77.0 lint docs/openapi.yaml
