# PostgreSQL for the PostgreSQL store tests. The tests run initdb in a temporary directory and start
# their own server on a free port as the `postgres` user (PostgreSQL refuses to run as root).
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
id postgres >/dev/null
ls /usr/lib/postgresql/*/bin/postgres
