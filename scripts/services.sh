#!/usr/bin/env bash
# Makes sure the local services the tests use are up: PostgreSQL (127.0.0.1:5432, database
# `test`), Mosquitto (127.0.0.1:1883) and NATS JetStream (127.0.0.1:4222). Starts any that are
# down with the machine's start commands. Prints what it did; never fails the run by itself
# (tests that need a service fail or say "skipped" on their own).
set -u
up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_up() { for _ in $(seq 1 30); do up "$1" && return 0; sleep 0.5; done; return 1; }

if ! up 5432; then
  echo "services: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start 2>&1 | sed 's/^/  /' || true
  wait_up 5432 || echo "services: PostgreSQL did not come up"
fi
if up 5432 && command -v psql >/dev/null; then
  psql -h 127.0.0.1 -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='test'" 2>/dev/null | grep -q 1 \
    || psql -h 127.0.0.1 -d postgres -c "CREATE DATABASE test" >/dev/null 2>&1 || true
fi
if ! up 1883; then
  echo "services: starting Mosquitto"
  mosquitto -d -c /etc/mosquitto/mosquitto.conf 2>&1 | sed 's/^/  /' || true
  wait_up 1883 || echo "services: Mosquitto did not come up"
fi
if ! up 4222; then
  echo "services: starting NATS"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log 2>&1 | sed 's/^/  /' || true
  wait_up 4222 || echo "services: NATS did not come up"
fi
for p in 5432:PostgreSQL 1883:Mosquitto 4222:NATS; do
  if up "${p%%:*}"; then echo "services: ${p#*:} up on ${p%%:*}"; else echo "services: ${p#*:} DOWN"; fi
done
