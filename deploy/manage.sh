#!/usr/bin/env bash
# manage.py with the services' settings: the environment file (default /etc/locaux/env, read
# line by line like systemd's EnvironmentFile, never sourced) and the venv's Python.
#
#   runuser -u locaux -- /srv/locaux/app/deploy/manage.sh migrate
#   LOCAUX_ENV_FILE=/path/to/env deploy/manage.sh check --deploy
set -euo pipefail
# shellcheck source=deploy/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
load_env_file "${LOCAUX_ENV_FILE:-/etc/locaux/env}"
cd "$APP_DIR"
exec "$(python_bin)" manage.py "$@"
