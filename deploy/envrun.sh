#!/usr/bin/env bash
# Run a command in the checkout with the services' environment file (default /etc/locaux/env,
# read line by line like systemd's EnvironmentFile), for machines without systemd:
#
#   runuser -u locaux -- deploy/envrun.sh venv/bin/celery -A config worker --loglevel=INFO
set -euo pipefail
# shellcheck source=deploy/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
(($#)) || die "usage: envrun.sh COMMAND [ARGUMENTS…]"
load_env_file "${LOCAUX_ENV_FILE:-/etc/locaux/env}"
cd "$APP_DIR"
exec "$@"
