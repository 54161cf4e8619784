#!/usr/bin/env bash
# One command on a fresh Debian 12 machine: install what is missing, build,
# create a demo instance in ./demo (SoftHSM2 token, demo CA, seal key) and
# start esignd on https://127.0.0.1:${PORT:-8443} and demo/esignd.sock.
set -eu
cd "$(dirname "$0")/.."
top=$PWD
PORT=${PORT:-8443}

scripts/install-deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null

if [ ! -d demo ]; then
	build/cli/esignctl init --dir demo --https-port "$PORT"
fi
conf="$top/demo/esignd.conf"
port=$(sed -n 's/^https_listen = .*:\([0-9]*\)$/\1/p' "$conf")
if build/cli/esignctl -c "$conf" status >/dev/null 2>&1; then
	echo "esignd is already running for $conf"
else
	build/esignd -c "$conf" 2>>demo/esignd.log ||
		{ echo "esignd did not start; see demo/esignd.log"; tail -5 demo/esignd.log; exit 1; }
fi
cat <<EOT

esignd is running (log: demo/esignd.log)

  health    curl --cacert demo/ca.pem https://127.0.0.1:$port/v1/health
  keys      curl --cacert demo/ca.pem -H "Authorization: Bearer \$(cat demo/admin.token)" https://127.0.0.1:$port/v1/keys
  socket    curl --unix-socket demo/esignd.sock http://localhost/v1/status
  esignctl  build/cli/esignctl -c demo/esignd.conf status
  seal      curl --cacert demo/ca.pem -H "Authorization: Bearer \$(cat demo/admin.token)" \\
              -F file=@document.pdf -F level=B-T -o sealed.pdf https://127.0.0.1:$port/v1/seal
  verify    curl --cacert demo/ca.pem -F file=@sealed.pdf https://127.0.0.1:$port/v1/verify
  metrics   curl --cacert demo/ca.pem https://127.0.0.1:$port/metrics
  stop      pkill -f "esignd -c $conf"
  docs      README.md, docs/

EOT
build/cli/esignctl -c "$conf" status
