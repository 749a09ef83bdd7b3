# Shared by deploy/backup.sh and deploy/restore.sh (sourced, not run).
# shellcheck shell=bash

APP_DIR=${APP_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}

die() {
    echo "$(basename "$0"): $*" >&2
    exit "${EXIT_CODE:-1}"
}

log() {
    echo "$(basename "$0"): $*"
}

# KEY=VALUE lines of an environment file (the systemd EnvironmentFile, /etc/locaux/env). Read
# line by line, never sourced: a value such as "Locaux Communs <ne-pas-repondre@…>" would be a
# shell redirection. Variables already set win, as in config/env.py, so that
# `DATABASE_URL=…other… restore.sh --env-file /etc/locaux/env` restores elsewhere.
load_env_file() {
    local file=$1 line key value
    [[ -r $file ]] || die "cannot read the environment file $file"
    while IFS= read -r line || [[ -n $line ]]; do
        line=${line#"${line%%[![:space:]]*}"}
        [[ -z $line || $line == \#* ]] && continue
        key=${line%%=*}
        value=${line#*=}
        [[ $key == "$line" ]] && die "$file: expected KEY=VALUE, got: $line"
        value=${value%\"}; value=${value#\"}; value=${value%\'}; value=${value#\'}
        if [[ -z ${!key+set} ]]; then
            export "$key=$value"
        fi
    done <"$file"
}

# The Python of the application: the deployment's venv, else the one on the PATH.
python_bin() {
    if [[ -n ${PYTHON:-} ]]; then
        echo "$PYTHON"
    elif [[ -x $APP_DIR/venv/bin/python ]]; then
        echo "$APP_DIR/venv/bin/python"
    else
        command -v python3
    fi
}

# "postgresql" or "sqlite", from DATABASE_URL (unset: the SQLite file of config/settings.py).
database_kind() {
    case ${DATABASE_URL:-sqlite} in
        postgres://* | postgresql://*) echo postgresql ;;
        sqlite*) echo sqlite ;;
        *) die "DATABASE_URL must start with postgres://, postgresql:// or sqlite:// (got ${DATABASE_URL%%:*}://…)" ;;
    esac
}

sqlite_path() {
    if [[ -z ${DATABASE_URL:-} ]]; then
        echo "$APP_DIR/db.sqlite3"
    else
        local path=${DATABASE_URL#sqlite:///}
        [[ $path == /* ]] || path=$APP_DIR/$path
        echo "$path"
    fi
}

# The media directories of config/settings.py, with its defaults.
media_root() { echo "${MEDIA_ROOT:-$APP_DIR/media}"; }
private_media_root() { echo "${PRIVATE_MEDIA_ROOT:-$APP_DIR/private_media}"; }

# Media in S3-compatible buckets rather than on disk: the test of config/storage.py.
media_on_s3() { [[ -n ${S3_BUCKET:-} ]]; }

# A management command of the application (core/management/commands/s3_media.py…).
manage() { (cd "$APP_DIR" && "$(python_bin)" manage.py "$@"); }
