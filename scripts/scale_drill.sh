#!/usr/bin/env bash
# The scale-out drill (issue 10; `make scale-drill`, by hand, as root on a machine with PostgreSQL 15 on
# 127.0.0.1:5432 and Redis on 127.0.0.1:6379). It proves the production layout of README.md "Production
# layout" on one machine, on loopback only:
#
#   two gunicorn instances (A :8101, B :8102)  ─┬─ one PostgreSQL primary (:5432, database taizhang_drill)
#   one background worker (manage.py db_worker) ─┤    └─ streaming read replica (:5433, pg_basebackup -R)
#                                                └─ one Redis (cache and sessions, database 11)
#   shared file storage: one media directory for the three processes
#
# It creates the drill database (dropped first), migrates, loads the demo, starts the replica and waits for
# it to stream, starts the servers and the worker, then scripts/scale_drill_client.py signs in on A,
# continues on B, imports on A, follows the worker from B, commits on B, sees the result on A, and proves
# that a report is read from the replica and the ledger is not. Everything it started is stopped on exit
# (trap), the drill database dropped, the temporary directory removed; a summary table of the steps is
# printed and the exit status is non-zero when one failed.
#
# The primary needs a pg_hba.conf entry allowing replication from 127.0.0.1. Without one the drill appends
# `host replication postgres 127.0.0.1/32 trust  # taizhang scale-drill`, reloads, and removes it again
# on exit (it says so). It never touches other databases than its own.
#
# Environment (defaults): DRILL_DB (taizhang_drill), DRILL_PORT_A (8101), DRILL_PORT_B (8102),
# DRILL_REPLICA_PORT (5433), DRILL_REDIS_URL (redis://127.0.0.1:6379/11 — the drill's own Redis database,
# flushed before and after), DRILL_PG_BIN (/usr/lib/postgresql/15/bin), DRILL_PG_HBA
# (/etc/postgresql/15/main/pg_hba.conf), DRILL_KEEP=1 keeps the logs and the database after a success.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DB=${DRILL_DB:-taizhang_drill}
PORT_A=${DRILL_PORT_A:-8101}
PORT_B=${DRILL_PORT_B:-8102}
PRIMARY_PORT=5432
REPLICA_PORT=${DRILL_REPLICA_PORT:-5433}
REDIS=${DRILL_REDIS_URL:-redis://127.0.0.1:6379/11}
PG_BIN=${DRILL_PG_BIN:-/usr/lib/postgresql/15/bin}
PG_HBA=${DRILL_PG_HBA:-/etc/postgresql/15/main/pg_hba.conf}
HBA_MARK="# taizhang scale-drill"
HBA_LINE="host replication postgres 127.0.0.1/32 trust  $HBA_MARK"
PY=.venv/bin/python
APP=taizhang  # application_name of the servers' connections: the replica's log shows whose statements they are

case "$DB" in
    postgres|test|template0|template1|test_*) echo "DRILL_DB=$DB is not the drill's own database" >&2; exit 2 ;;
esac
[ "$(id -u)" = 0 ] || { echo "run the drill as root (the replica runs as the postgres user)" >&2; exit 2; }
[ -x "$PY" ] || { echo "run 'make install' first" >&2; exit 2; }

PRIMARY_URL="postgres://postgres@127.0.0.1:$PRIMARY_PORT/$DB"
REPLICA_URL="postgres://postgres@127.0.0.1:$REPLICA_PORT/$DB"
WORK=$(mktemp -d /tmp/taizhang-drill.XXXXXX)
chmod 755 "$WORK"
LOG="$WORK/drill.log"
REPLICA_DIR="$WORK/replica"
mkdir -p "$WORK/media" "$WORK/logs"
: >"$LOG"

psql_primary() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres "$@"; }
psql_replica() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$REPLICA_PORT" -U postgres "$@"; }
as_postgres() { runuser -u postgres -- "$@"; }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# --- steps and the summary -------------------------------------------------------------------------------
NAMES=() RESULTS=() DETAILS=()
CURRENT=""
begin() { CURRENT=$1; echo "==> $1" | tee -a "$LOG"; }
ok() { NAMES+=("$CURRENT"); RESULTS+=(OK); DETAILS+=("$1"); CURRENT=""; }
fail() { NAMES+=("$CURRENT"); RESULTS+=(FAILED); DETAILS+=("$1"); CURRENT=""; echo "    FAILED: $1" >&2; exit 1; }

summary() {
    local i width=4
    for i in "${!NAMES[@]}"; do (( ${#NAMES[i]} > width )) && width=${#NAMES[i]}; done
    echo
    echo "Scale-out drill — summary"
    printf '%-*s  %-6s  %s\n' "$width" "step" "result" "detail"
    printf '%-*s  %-6s  %s\n' "$width" "$(printf '%*s' "$width" '' | tr ' ' -)" "------" "------"
    for i in "${!NAMES[@]}"; do printf '%-*s  %-6s  %s\n' "$width" "${NAMES[i]}" "${RESULTS[i]}" "${DETAILS[i]}"; done
}

# --- cleanup: everything this script started, by pid ------------------------------------------------------
PIDS=()
REPLICA_STARTED=0
HBA_ADDED=0
DB_CREATED=0
stop_pid() {  # TERM, wait up to 20 s, then KILL
    local pid=$1 i
    kill -TERM "$pid" 2>/dev/null || return 0
    for i in $(seq 40); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
    local status=$?
    set +e
    if [ -n "$CURRENT" ]; then  # a command failed outside fail(): record it
        NAMES+=("$CURRENT"); RESULTS+=(FAILED); DETAILS+=("exit status $status; see the log below")
    fi
    echo "==> stopping everything the drill started" | tee -a "$LOG"
    local pid
    for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
    [ "$REPLICA_STARTED" = 1 ] && as_postgres "$PG_BIN/pg_ctl" -D "$REPLICA_DIR/data" -m fast -w stop >>"$LOG" 2>&1
    if [ "$HBA_ADDED" = 1 ]; then
        sed -i "\|$HBA_MARK\$|d" "$PG_HBA" && psql_primary -c "SELECT pg_reload_conf()" >/dev/null \
            && echo "    removed the replication line from $PG_HBA again and reloaded" | tee -a "$LOG"
    fi
    redis-cli -u "$REDIS" flushdb >/dev/null 2>&1
    local failed=0 r
    for r in "${RESULTS[@]}"; do [ "$r" = OK ] || failed=1; done
    [ "$status" != 0 ] && failed=1
    if [ "$failed" = 0 ] && [ "${DRILL_KEEP:-0}" != 1 ]; then
        psql_primary -d postgres -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >>"$LOG" 2>&1
        rm -rf "$WORK"
        echo "    dropped $DB, removed $WORK"
    else
        rm -rf "$REPLICA_DIR"
        echo "    logs kept in $WORK (drill.log, logs/)"
        [ "$DB_CREATED" = 1 ] && echo "    database $DB kept (the next drill drops it)"
        [ "$failed" = 1 ] && { echo "--- last lines of $LOG"; tail -n 25 "$LOG"; }
    fi
    summary
    [ "$failed" = 0 ] || exit 1
    exit 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- preconditions -----------------------------------------------------------------------------------------
begin "preconditions"
for port in "$PORT_A" "$PORT_B" "$REPLICA_PORT"; do
    if port_busy "$port"; then fail "port $port is already in use"; fi
done
psql_primary -d postgres -Atc "SELECT 1" >/dev/null || fail "no PostgreSQL on 127.0.0.1:$PRIMARY_PORT"
redis-cli -u "$REDIS" ping >/dev/null 2>&1 || fail "no Redis at $REDIS"
wal_level=$(psql_primary -d postgres -Atc "SHOW wal_level")
senders=$(psql_primary -d postgres -Atc "SHOW max_wal_senders")
[ "$wal_level" != minimal ] && [ "$senders" -gt 0 ] \
    || fail "the primary needs wal_level=replica and max_wal_senders > 0 (both need a restart; the drill does not restart it)"
if ! psql -X -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres "dbname=replication replication=true" -c "IDENTIFY_SYSTEM" >/dev/null 2>&1; then
    echo "    the primary refuses replication from 127.0.0.1: appending to $PG_HBA and reloading:" | tee -a "$LOG"
    echo "      $HBA_LINE" | tee -a "$LOG"
    printf '%s\n' "$HBA_LINE" >>"$PG_HBA"
    HBA_ADDED=1
    psql_primary -d postgres -c "SELECT pg_reload_conf()" >/dev/null
    sleep 1
    psql -X -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres "dbname=replication replication=true" -c "IDENTIFY_SYSTEM" >/dev/null 2>>"$LOG" \
        || fail "replication is still refused after adding the pg_hba.conf line"
    hba_note="replication line added to $PG_HBA for the drill (removed on exit)"
else
    hba_note="the primary already allows replication from 127.0.0.1"
fi
redis-cli -u "$REDIS" flushdb >/dev/null
ok "PostgreSQL $(psql_primary -d postgres -Atc 'SHOW server_version' | cut -d' ' -f1) (wal_level=$wal_level, max_wal_senders=$senders), Redis; $hba_note"

# --- the database: migrate and the demo (the Makefile's demo commands) -----------------------------------
export DJANGO_SETTINGS_MODULE=config.settings DJANGO_DEBUG=0 PYTHONUNBUFFERED=1
export TAIZHANG_MEDIA_ROOT="$WORK/media"  # the shared file storage of the three processes
unset TAIZHANG_ENV DATABASE_REPLICA_URL REDIS_URL
export DATABASE_URL="$PRIMARY_URL?application_name=$APP"

begin "create the drill database"
psql_primary -d postgres -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >>"$LOG" 2>&1
psql_primary -d postgres -c "CREATE DATABASE \"$DB\"" >>"$LOG" 2>&1
DB_CREATED=1
ok "$DB dropped and created on 127.0.0.1:$PRIMARY_PORT"

begin "migrate and load the demo"
started=$SECONDS
"$PY" manage.py migrate --noinput -v0 >>"$LOG" 2>&1
PY="$PY" bash scripts/load_demo.sh >>"$LOG" 2>&1 || fail "loading the demo failed (scripts/load_demo.sh; see the log)"
"$PY" manage.py collectstatic --noinput -v0 >>"$LOG" 2>&1
members=$(psql_primary -d "$DB" -Atc "SELECT count(*) FROM members_member")
ok "migrated, demo loaded ($members members), static files collected in $((SECONDS - started)) s"

# --- the read replica --------------------------------------------------------------------------------------
begin "start the streaming replica"
install -d -o postgres -g postgres -m 700 "$REPLICA_DIR"
as_postgres "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$REPLICA_DIR/data" \
    -R -X stream -c fast >>"$LOG" 2>&1 || fail "pg_basebackup failed"
# Debian keeps postgresql.conf and pg_hba.conf in /etc: the copy gets its own. log_statement=all lets the
# client see which statements reached the replica.
as_postgres tee "$REPLICA_DIR/data/postgresql.conf" >/dev/null <<EOF
port = $REPLICA_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$REPLICA_DIR'
hot_standby = on
log_statement = 'all'
log_line_prefix = '%m [%p] db=%d app=%a '
logging_collector = off
EOF
as_postgres tee "$REPLICA_DIR/data/pg_hba.conf" >/dev/null <<EOF
local all all trust
host all all 127.0.0.1/32 trust
EOF
as_postgres touch "$REPLICA_DIR/replica.log"
as_postgres "$PG_BIN/pg_ctl" -D "$REPLICA_DIR/data" -l "$REPLICA_DIR/replica.log" -w -t 60 start >>"$LOG" 2>&1 \
    || fail "the replica did not start: $(tail -n 3 "$REPLICA_DIR/replica.log" | tr '\n' ' ')"
REPLICA_STARTED=1
status=""
for _ in $(seq 60); do
    status=$(psql_replica -d postgres -Atc "SELECT status FROM pg_stat_wal_receiver" 2>/dev/null || true)
    [ "$status" = streaming ] && break
    sleep 0.5
done
[ "$status" = streaming ] || fail "the replica's WAL receiver is '${status:-absent}', not streaming"
for _ in $(seq 120); do  # the primary's side: 'catchup' until the standby has replayed the backup's WAL
    sent=$(psql_primary -d postgres -Atc "SELECT state FROM pg_stat_replication WHERE application_name = 'walreceiver' AND client_addr = '127.0.0.1' LIMIT 1")
    [ "$sent" = streaming ] && break
    sleep 0.5
done
[ "$sent" = streaming ] || fail "the primary's WAL sender is '${sent:-absent}', not streaming"
[ "$(psql_replica -d postgres -Atc 'SELECT pg_is_in_recovery()')" = t ] || fail "port $REPLICA_PORT is not a standby"
ok "pg_basebackup -R of the cluster ($(du -sh "$REPLICA_DIR/data" | cut -f1)) started on 127.0.0.1:$REPLICA_PORT: in recovery, WAL receiver and sender streaming (async)"

# --- two web instances and one worker ----------------------------------------------------------------------
export DATABASE_REPLICA_URL="$REPLICA_URL?application_name=$APP"
export REDIS_URL="$REDIS"
export WEB_CONCURRENCY=${WEB_CONCURRENCY:-2}

begin "start gunicorn A and B and the worker"
for port in "$PORT_A" "$PORT_B"; do
    TAIZHANG_BIND="127.0.0.1:$port" .venv/bin/gunicorn --config gunicorn.conf.py >"$WORK/logs/gunicorn-$port.log" 2>&1 &
    PIDS+=($!)
done
"$PY" manage.py db_worker --queue-name default --no-reload >"$WORK/logs/worker.log" 2>&1 &
PIDS+=($!)
for port in "$PORT_A" "$PORT_B"; do
    up=0
    for _ in $(seq 60); do
        if curl -sf -o /dev/null "http://127.0.0.1:$port/accounts/login/"; then up=1; break; fi
        sleep 0.5
    done
    [ "$up" = 1 ] || fail "gunicorn on :$port does not answer: $(tail -n 3 "$WORK/logs/gunicorn-$port.log" | tr '\n' ' ')"
done
for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null || fail "process $pid exited early (see $WORK/logs)"; done
ok "gunicorn :$PORT_A (pid ${PIDS[0]}) and :$PORT_B (pid ${PIDS[1]}), $WEB_CONCURRENCY workers each; db_worker (pid ${PIDS[2]}); REDIS_URL=$REDIS"

# --- the client: the steps a user takes across the two instances ----------------------------------------------
begin "client"
client_status=1  # until the client says how it ended
while IFS=$'\t' read -r tag name result detail; do
    if [ "$tag" = EXIT ]; then client_status=$name; continue; fi
    [ "$tag" = STEP ] || { echo "$tag $name $result $detail" >>"$LOG"; continue; }
    NAMES+=("$name"); RESULTS+=("$result"); DETAILS+=("$detail")
    echo "    $result  $name: $detail"
done < <("$PY" scripts/scale_drill_client.py --a "http://127.0.0.1:$PORT_A" --b "http://127.0.0.1:$PORT_B" \
            --primary "$PRIMARY_URL" --replica "$REPLICA_URL" --replica-log "$REPLICA_DIR/replica.log" \
            --database "$DB" 2>>"$LOG"; echo "EXIT	$?")
CURRENT=""
for r in "${RESULTS[@]}"; do if [ "$r" != OK ]; then client_status=1; fi; done
if [ "$client_status" != 0 ]; then
    NAMES+=("client"); RESULTS+=(FAILED); DETAILS+=("scripts/scale_drill_client.py ended with status $client_status")
    exit 1
fi

begin "processes still up after the drill"
for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null || fail "process $pid died during the drill (see $WORK/logs)"; done
ok "A, B and the worker ran throughout; the replica is still streaming: $(psql_replica -d postgres -Atc 'SELECT status FROM pg_stat_wal_receiver')"
