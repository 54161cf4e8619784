#!/bin/sh
# Lints docs/openapi.yaml with Redocly's CLI (the npm package
# @redocly/cli, run by npx) under the rules of redocly.yaml: 0 errors
# expected; the warnings left are the redirects' missing 2xx/4xx.
#
#   scripts/lint-openapi.sh
#
# Needs node and npm, and the npm registry on first use (npx caches the
# package). Not run by CI: it fetches from the network. The version is
# pinned (checked with Node.js 20; later releases announce Node.js 22).
set -eu
cd "$(dirname "$0")/.."
exec npx -y @redocly/cli@2.77.0 lint docs/openapi.yaml
