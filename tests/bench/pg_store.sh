#!/usr/bin/env bash
# Sealing on the PostgreSQL store against LMDB, one node: a throw-away
# instance, seals of one PDF over HTTPS on LMDB, then the same instance
# moved with `esignctl store copy` onto a throw-away PostgreSQL server
# (started as tests/integration/t_cluster.sh does) and sealed again.
# Prints both rates, their ratio, and what each seal cost the database:
# statements (pg_stat_statements calls, BEGIN/COMMIT/ROLLBACK included;
# a write transaction's travel pipelined, in two round trips) and
# transactions (pg_stat_database). See
# README.md ("The PostgreSQL store").
#
# usage: tests/bench/pg_store.sh [BUILD_DIR]   (default: <repo>/build)
# env:   PG_SECONDS=S   seconds per row (default 4; BENCH_QUICK=1: 1)
#        PG_THREADS=T   client threads (default: two per CPU)
#        PG_PDF=FILE    default: the corpus file nearest to 20 KB
#        SIGNBENCH=PATH, P11_BASELINE=PATH  built tools (else built here)
# Exit 0 with a note when the postgresql server binaries are missing;
# 1 when a seal failed or the audit log did not grow by one per seal.
. "$(dirname "$0")/common.sh" pg_store "${1:-}"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ] || [ ! -x "$PGBIN/pg_ctl" ]; then
	echo "PostgreSQL store row: skipped: the postgresql server binaries (/usr/lib/postgresql/*/bin) are not installed"
	exit 0
fi
PSQL=$PGBIN/psql
[ -x "$PSQL" ] || PSQL=psql
secs=${PG_SECONDS:-$([ "${BENCH_QUICK:-0}" = 1 ] && echo 1 || echo 4)}
threads=${PG_THREADS:-$(($(nproc) * 2))}
pdf=$(nearest_pdf "${PG_PDF:-}")
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi; }
tools
init_instance

# seal_row NAME: one closed-loop run; sets LINE[NAME]; checks the audit.
declare -A LINE
seal_row() {
	local a0 a1 out n ok
	a0=$(audit_records)
	out=$("$sb" --mode seal --file "$pdf" --url "https://127.0.0.1:$port" \
		--cacert "$inst/ca.pem" --token-file "$inst/admin.token" --key demo-seal \
		--threads "$threads" --seconds "$secs" 2>"$work/$1.err") ||
		{ cat "$work/$1.err" >&2; say "$1: some seals failed"; exit 1; }
	a1=$(audit_records)
	LINE[$1]=$(grep '^RESULT ' <<<"$out" | tail -n 1)
	n=$(field "${LINE[$1]}" requests) ok=$(field "${LINE[$1]}" ok)
	# warm-ups: one per thread
	if [ $((a1 - a0)) -lt "$ok" ] || [ $((a1 - a0)) -gt $((n + threads)) ]; then
		say "$1: $((a1 - a0)) audit records for $ok seals"; exit 1
	fi
}

say "sealing ${pdf##*/} on LMDB ($threads threads, ${secs}s)"
start_daemon "$inst/esignd.conf" || exit 1
seal_row lmdb
stop_daemon

say "starting PostgreSQL"
if [ "$(id -u)" = 0 ]; then
	chmod 711 "$work"
	mkdir -m 700 "$work/pg" && chown nobody "$work/pg"
else
	mkdir -m 700 "$work/pg"
fi
as_pg "$PGBIN/initdb" -D "$work/pg/data" -U esignd --auth=trust -E UTF8 >"$work/initdb.log" 2>&1 ||
	{ cat "$work/initdb.log" >&2; exit 1; }
pgport=$(free_port)
as_pg "$PGBIN/pg_ctl" -D "$work/pg/data" -l "$work/pg/server.log" -w -o \
	"-p $pgport -k $work/pg -c listen_addresses=127.0.0.1 -c max_connections=100 -c shared_preload_libraries=pg_stat_statements" \
	start >/dev/null || { cat "$work/pg/server.log" >&2; exit 1; }
bench_on_exit "as_pg '$PGBIN/pg_ctl' -D '$work/pg/data' -m fast stop >/dev/null 2>&1"
sql() { "$PSQL" -X -q -t -A -h 127.0.0.1 -p "$pgport" -U esignd -d "$@"; }
sql postgres -c "CREATE DATABASE esignd" >/dev/null
sql esignd -c "CREATE EXTENSION pg_stat_statements" >/dev/null
uri="postgresql://esignd@127.0.0.1:$pgport/esignd"
"$build/cli/esignctl" store copy --from "lmdb:$inst/state" --to "$uri" >"$work/copy.log" 2>&1 ||
	{ cat "$work/copy.log" >&2; exit 1; }
sed "s|^store = .*||" "$inst/esignd.conf" >"$inst/pg.conf"
printf 'store = %s\n' "$uri" >>"$inst/pg.conf"

say "sealing ${pdf##*/} on PostgreSQL"
start_daemon "$inst/pg.conf" || exit 1
# what the database did for the seals alone (the warm-ups included)
stats() {
	sql esignd -c "SELECT (SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s
		JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = 'esignd'),
		(SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = 'esignd'),
		(SELECT wal_sync FROM pg_stat_wal)" |
		tr '|' ' '
}
sql esignd -c "SELECT pg_stat_statements_reset()" >/dev/null
read -r c0 x0 w0 <<<"$(stats)"
a0=$(audit_records)
seal_row pg
a1=$(audit_records)
# A backend reports its transactions to pg_stat_database when it ends (or
# idle, seconds later): the daemon's connections end with it.
stop_daemon
read -r c1 x1 w1 <<<"$(stats)"

# the statements of stats() itself and the transactions of the daemon's
# start not yet reported at the first stats() are left in: a few against
# hundreds of seals
seals=$((a1 - a0))
lr=$(field "${LINE[lmdb]}" rps) pr=$(field "${LINE[pg]}" rps)
echo
echo "The PostgreSQL store against LMDB, one node (${pdf##*/}, HTTPS, $threads threads, ${secs}s each)"
printf '  %-34s %10s %10s\n' "" "seals/s" "p50 ms"
printf '  %-34s %10s %10s\n' "LMDB" "$lr" "$(field "${LINE[lmdb]}" p50_ms)"
printf '  %-34s %10s %10s\n' "PostgreSQL (same host, loopback)" "$pr" "$(field "${LINE[pg]}" p50_ms)"
printf '  %-34s %10s\n' "PostgreSQL / LMDB" "$(awk -v a="$pr" -v b="$lr" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')"
printf '  %-34s %10s\n' "statements per seal" "$(awk -v c=$((c1 - c0)) -v n="$seals" 'BEGIN { if (n > 0) printf "%.1f", c / n; else print "-" }')"
printf '  %-34s %10s\n' "transactions per seal" "$(awk -v c=$((x1 - x0)) -v n="$seals" 'BEGIN { if (n > 0) printf "%.1f", c / n; else print "-" }')"
printf '  %-34s %10s\n' "WAL flushes (fsyncs) per seal" "$(awk -v c=$((w1 - w0)) -v n="$seals" 'BEGIN { if (n > 0) printf "%.2f", c / n; else print "-" }')"
echo "  ($seals seals, warm-ups included; statements from pg_stat_statements, BEGIN,"
echo "  COMMIT and ROLLBACK counted; a write transaction's are pipelined into two"
echo "  round trips; WAL flushes from pg_stat_wal.wal_sync, the whole server's)"
