# Starts throwaway PostgreSQL and Redis servers on loopback for the external
# adapter tests and exports TEST_DATABASE_URL, TEST_REDIS_URL, TEST_PG_BIN, TEST_PG_PORT and
# TEST_PG_DATA. Source it: `source .ci/services.sh`. Installs the Debian
# packages if they are missing.

bankbox_services() {
    local root=${BANKBOX_SERVICES_DIR:-/tmp/bankbox-services}
    local pg_port=${BANKBOX_PG_PORT:-55432}
    local redis_port=${BANKBOX_REDIS_PORT:-56379}
    if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! command -v redis-server >/dev/null; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql redis-server >/dev/null
    fi
    local pg_bin
    pg_bin=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
    mkdir -p "$root"
    chmod 755 "$root"
    if [ ! -f "$root/pg/PG_VERSION" ]; then
        rm -rf "$root/pg"
        install -d -o postgres -g postgres "$root/pg" "$root/pg-socket" "$root/pg-log"
        runuser -u postgres -- "$pg_bin/initdb" -D "$root/pg" -U postgres --auth=trust >/dev/null
    fi
    if ! runuser -u postgres -- "$pg_bin/pg_ctl" -D "$root/pg" status >/dev/null 2>&1; then
        runuser -u postgres -- "$pg_bin/pg_ctl" -D "$root/pg" -l "$root/pg-log/pg.log" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $root/pg-socket -c max_connections=300" start >/dev/null
    fi
    if ! redis-cli -p "$redis_port" ping >/dev/null 2>&1; then
        redis-server --port "$redis_port" --bind 127.0.0.1 --daemonize yes --save '' \
            --appendonly no --logfile "$root/redis.log" >/dev/null
        for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    fi
    export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/postgres?sslmode=disable"
    export TEST_REDIS_URL="redis://127.0.0.1:$redis_port"
    export TEST_PG_BIN="$pg_bin"
    export TEST_PG_PORT="$pg_port"
    export TEST_PG_DATA="$root/pg"
    echo "PostgreSQL at $TEST_DATABASE_URL, Redis at $TEST_REDIS_URL"
}
bankbox_services
