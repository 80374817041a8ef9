#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The local stack: `up` starts Kafka (scripts/stack/kafka.sh) and PostgreSQL
# (scripts/stack/postgres.sh), both idempotent, and writes the connection settings
# to $XF_STACK_DIR/../stack.env (default build/stack.env) as shell
# assignments (KAFKA_BROKERS=..., PGURI=...). If either fails, both are
# stopped. `down` stops both and removes stack.env; `status` shows both.
set -euo pipefail
cd "$(dirname "$0")/../.."
STACK=${XF_STACK_DIR:-$PWD/build/stack}
ENV_FILE=$(dirname "$STACK")/stack.env

case "${1:-}" in
up)
	mkdir -p "$STACK"
	if ! k=$(scripts/stack/kafka.sh start) || ! p=$(scripts/stack/postgres.sh start); then
		echo "stack: start failed; stopping both" >&2
		scripts/stack/kafka.sh stop || true
		scripts/stack/postgres.sh stop || true
		exit 1
	fi
	printf '%s\n%s\n' "$(grep '^KAFKA_[A-Z_]*=' <<<"$k")" "$(grep '^PG[A-Z_]*=' <<<"$p")" >"$ENV_FILE.tmp"
	mv "$ENV_FILE.tmp" "$ENV_FILE"
	echo "stack: up; settings in $ENV_FILE"
	cat "$ENV_FILE"
	;;
down)
	rc=0
	scripts/stack/kafka.sh stop || rc=1
	scripts/stack/postgres.sh stop || rc=1
	rm -f "$ENV_FILE"
	echo "stack: down"
	exit $rc
	;;
status)
	rc=0
	scripts/stack/kafka.sh status || rc=1
	scripts/stack/postgres.sh status || rc=1
	exit $rc
	;;
*)
	echo "usage: $0 up|down|status" >&2
	exit 2
	;;
esac
