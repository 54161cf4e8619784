#!/usr/bin/env bash
# The whole test suite, twice: a normal build and an AddressSanitizer +
# UndefinedBehaviorSanitizer build (ESD_NO_SANITIZE=1 skips the second).
# Each runs every unit and integration test with `meson test`; the plain
# build also runs the "store" suite on PostgreSQL. The last
# line is "N passed, N failed" over all of them. ESD_BENCH=1 also runs the
# signing benchmark (tests/bench) in its quick mode, as CI does;
# ESD_FUZZ_SECONDS=N runs each fuzz target for N seconds (tests/fuzz);
# ESD_LINT_OPENAPI=1 runs Redocly's linter on docs/openapi.yaml
# (scripts/lint-openapi.sh: npx and the npm registry), one check.
set -u
cd "$(dirname "$0")/.."
pass=0
fail=0
# What failed, one name per line, printed again at the end: a CI log is
# often read from its tail.
failed=
# failed_add NAME: counts one failure and remembers its name.
failed_add() {
	fail=$((fail + 1))
	failed="$failed  $1
"
}

# Processes the tests may start: daemons, mail sinks, browsers, helpers.
# Those already running (a demo instance) are not the tests'.
test_procs() { pgrep -f -- '[e]signd -c |/tmp/esd-test\.|[a]iosmtpd|[c]hromedriver|esignd-bench' | sort; }
before=$(test_procs)
# leftovers WHEN: fails the run if a process the tests started is alive.
leftovers() {
	local p left=
	# a moment for processes that are still exiting
	[ -z "$(comm -13 <(echo "$before") <(test_procs))" ] || sleep 3
	for p in $(comm -13 <(echo "$before") <(test_procs)); do
		left="$left$(ps -o pid=,args= -p "$p" 2>/dev/null)
"
	done
	if [ -n "$(echo "$left" | tr -d '[:space:]')" ]; then
		echo "$1: processes started by the tests are still running:"
		echo "$left" | sed '/^$/d; s/^/  /'
		failed_add "$1: processes left running"
	fi
}

run() {
	local dir=$1
	shift
	echo "=== $dir: meson setup $* ==="
	if [ -f "$dir/build.ninja" ]; then
		meson setup --reconfigure "$dir" "$@" >/dev/null || return 1
	else
		meson setup "$dir" "$@" >/dev/null || return 1
	fi
	ninja -C "$dir" || return 1
	meson test -C "$dir" --print-errorlogs --num-processes 2
	count "$dir/meson-logs/testlog.json" || { echo "$dir: no test ran"; return 1; }
}

# count LOG: adds the results in a meson test log to the totals.
count() {
	local ok name
	ok=$(grep -c '"result": "OK"' "$1")
	pass=$((pass + ok))
	while IFS= read -r name; do
		failed_add "$name ($1)"
	done < <(python3 -c 'import json, sys
for line in open(sys.argv[1]):
    t = json.loads(line)
    if t["result"] not in ("OK", "SKIP"):
        print("%s: %s" % (t["name"], t["result"]))' "$1")
	[ "$ok" -gt 0 ]
}

run build || failed_add "build/: setup, build or no test"
leftovers "after the build/ tests"
# The store-heavy tests again on PostgreSQL (tests/README.md), when its
# server binaries are installed.
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
	echo "=== build: meson test --setup postgresql --suite store ==="
	meson test -C build --setup postgresql --suite store --print-errorlogs --num-processes 2
	count build/meson-logs/testlog-postgresql.json || { echo "postgresql: no test ran"; failed_add "postgresql: no test ran"; }
	leftovers "after the PostgreSQL tests"
fi
# The benchmark reports, it does not judge speed (ESD_BENCH=1: quick mode).
if [ -n "${ESD_BENCH:-}" ]; then
	BENCH_QUICK=1 tests/bench/run.sh build || echo "benchmark: failed (see above)"
fi
# libFuzzer targets, briefly (ESD_FUZZ_SECONDS per target; CI sets 10):
# every crash found so far is replayed as a regression input.
if [ -n "${ESD_FUZZ_SECONDS:-}" ]; then
	tests/fuzz/run.sh "$ESD_FUZZ_SECONDS" | tee /tmp/esd-fuzz.$$.log
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' /tmp/esd-fuzz.$$.log | tail -1)
	if [ -n "$line" ]; then
		pass=$((pass + $(echo "$line" | cut -d' ' -f1)))
		fail=$((fail + $(echo "$line" | cut -d' ' -f3)))
		[ "$(echo "$line" | cut -d' ' -f3)" = 0 ] ||
			failed="$failed  fuzz: $(grep -E '^fuzz_[a-z_]+: (libFuzzer exit|regression input fails|build failed)' /tmp/esd-fuzz.$$.log | tr '\n' ' ')
"
	else
		failed_add "fuzz: no summary line"
	fi
	rm -f /tmp/esd-fuzz.$$.log
fi
# The API description under Redocly's rules: passes with 0 errors and 0
# warnings (those the routes earn on purpose are in .redocly.lint-ignore.yaml).
if [ -n "${ESD_LINT_OPENAPI:-}" ]; then
	echo "=== redocly lint docs/openapi.yaml ==="
	scripts/lint-openapi.sh >/tmp/esd-redocly.$$.log 2>&1
	rc=$?
	cat /tmp/esd-redocly.$$.log
	if [ "$rc" -eq 77 ]; then
		echo "skip - redocly lint docs/openapi.yaml: no usable Node.js or npm registry (see above)"
	elif [ "$rc" -eq 0 ] && ! grep -Eq 'You have [0-9]+ warnings?' /tmp/esd-redocly.$$.log; then
		echo "ok - redocly lint docs/openapi.yaml: 0 errors, 0 warnings"
		pass=$((pass + 1))
	else
		echo "not ok - redocly lint docs/openapi.yaml (exit $rc, see above)"
		failed_add "redocly lint docs/openapi.yaml"
	fi
	rm -f /tmp/esd-redocly.$$.log
fi
if [ -z "${ESD_NO_SANITIZE:-}" ]; then
	run build-asan -Db_sanitize=address,undefined -Db_lundef=false ||
		failed_add "build-asan/: setup, build or no test"
	leftovers "after the build-asan/ tests"
fi
[ -z "$failed" ] || printf 'failed:\n%s' "$failed"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
