#!/usr/bin/env bash
# Back up Locaux Communs: the database (pg_dump custom format, or a SQLite online backup) and the
# media (MEDIA_ROOT and PRIVATE_MEDIA_ROOT, or with S3_BUCKET every object of the media and
# private prefixes; one tar each), with a checksum manifest, into BACKUP_DIR/locaux-<UTC time>/;
# keeps the BACKUP_KEEP newest backups. docs/deploy.md, "Backups".
#
#   deploy/backup.sh [--env-file /etc/locaux/env]
#
# Settings from the environment (or the file): DATABASE_URL, MEDIA_ROOT, PRIVATE_MEDIA_ROOT or
# the S3_* of config/storage.py, BACKUP_DIR (default /var/backups/locaux), BACKUP_KEEP (default 14).
set -euo pipefail
umask 077 # personal data: readable by the service user only
# shellcheck source=deploy/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

while (($#)); do
    case $1 in
        --env-file) load_env_file "${2:?--env-file needs a file}"; shift 2 ;;
        -h | --help) sed -n '2,10p' "$0"; exit 0 ;;
        *) die "unknown argument: $1" ;;
    esac
done

BACKUP_DIR=${BACKUP_DIR:-/var/backups/locaux}
BACKUP_KEEP=${BACKUP_KEEP:-14}
[[ $BACKUP_KEEP =~ ^[1-9][0-9]*$ ]] || die "BACKUP_KEEP must be a whole number ≥ 1, got $BACKUP_KEEP"
kind=$(database_kind)
mkdir -p "$BACKUP_DIR"

stamp=$(date -u +%Y%m%dT%H%M%SZ)
name=locaux-$stamp
suffix=1
while [[ -e $BACKUP_DIR/$name ]]; do # two backups in one second: still two backups
    suffix=$((suffix + 1))
    name=locaux-$stamp-$suffix
done
# Written under a .partial name and renamed at the end: a backup that failed half-way is never
# taken for a complete one, neither by restore.sh nor by the retention below.
work=$BACKUP_DIR/$name.partial
trap 'rm -rf "$work"' EXIT
mkdir "$work"

if [[ $kind == postgresql ]]; then
    # Custom format: compressed, restorable table by table, by pg_restore of the same major or newer.
    pg_dump --format=custom --no-owner --no-acl --file="$work/database.dump" --dbname="$DATABASE_URL"
    database_file=database.dump
else
    source_db=$(sqlite_path)
    [[ -f $source_db ]] || die "no SQLite database at $source_db"
    # SQLite's online backup (the `.backup` of the sqlite3 shell): consistent while the app writes.
    "$(python_bin)" - "$source_db" "$work/database.sqlite3" <<'PY'
import sqlite3, sys
source, target = sqlite3.connect(sys.argv[1]), sqlite3.connect(sys.argv[2])
with target:
    source.backup(target)
source.close(); target.close()
PY
    database_file=database.sqlite3
fi

if media_on_s3; then
    # Every object of the media and private prefixes, streamed into the same two archives
    # (manage.py s3_media: the buckets and prefixes of config/storage.py).
    manage s3_media export "$work" || die "could not copy the media buckets; no backup written"
    media_source=s3
else
    # A directory that does not exist yet (nothing uploaded) is backed up as an empty archive.
    for part in media private; do
        if [[ $part == media ]]; then dir=$(media_root); else dir=$(private_media_root); fi
        if [[ -d $dir ]]; then
            tar --create --gzip --file="$work/$part.tar.gz" --directory="$dir" .
        else
            tar --create --gzip --file="$work/$part.tar.gz" --files-from=/dev/null
        fi
    done
    media_source=disk
fi

commit=$(git -C "$APP_DIR" rev-parse HEAD 2>/dev/null || echo unknown)
cat >"$work/backup.info" <<INFO
created_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
host=$(hostname)
database=$kind
database_file=$database_file
media=$media_source
app_commit=$commit
INFO
(cd "$work" && sha256sum backup.info "$database_file" media.tar.gz private.tar.gz >MANIFEST.sha256)

mv "$work" "$BACKUP_DIR/$name"
trap - EXIT
log "backup written to $BACKUP_DIR/$name"

# Retention: the BACKUP_KEEP newest complete backups (names sort by time).
mapfile -t backups < <(find "$BACKUP_DIR" -mindepth 1 -maxdepth 1 -type d -name 'locaux-*' ! -name '*.partial' -printf '%f\n' | LC_ALL=C sort)
excess=$((${#backups[@]} - BACKUP_KEEP))
for ((i = 0; i < excess; i++)); do
    rm -rf "${BACKUP_DIR:?}/${backups[i]}"
    log "removed old backup ${backups[i]}"
done
