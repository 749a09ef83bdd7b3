#!/usr/bin/env bash
# Restore a backup of deploy/backup.sh into an EMPTY database and EMPTY media directories, then
# check that the code's migrations match (`manage.py migrate --check`). docs/deploy.md, "Restore".
#
#   deploy/restore.sh [--env-file /etc/locaux/env] [--force] BACKUP_DIRECTORY
#
# The target is DATABASE_URL (the PostgreSQL database must exist: createdb), and MEDIA_ROOT and
# PRIVATE_MEDIA_ROOT, or with S3_BUCKET the media and private prefixes of the buckets. A target
# that holds anything is refused (exit 3) unless --force, which replaces the database's objects
# and empties both directories (or both prefixes) first.
# Exit codes: 0 restored and migrations up to date; 1 error; 2 checksum mismatch;
# 3 target not empty; 4 restored, but the code has migrations to apply (run manage.py migrate).
set -euo pipefail
umask 027
# shellcheck source=deploy/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

force=false
source_dir=
while (($#)); do
    case $1 in
        --env-file) load_env_file "${2:?--env-file needs a file}"; shift 2 ;;
        --force) force=true; shift ;;
        -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
        -*) die "unknown option: $1" ;;
        *) [[ -z $source_dir ]] || die "one backup directory only"; source_dir=$1; shift ;;
    esac
done
[[ -n $source_dir ]] || die "which backup? usage: restore.sh [--force] BACKUP_DIRECTORY"
[[ -f $source_dir/MANIFEST.sha256 ]] || die "$source_dir is not a complete backup (no MANIFEST.sha256)"
source_dir=$(cd "$source_dir" && pwd)

# 1. The backup is intact: every file matches its checksum.
(cd "$source_dir" && sha256sum --check --quiet --strict MANIFEST.sha256) ||
    EXIT_CODE=2 die "$source_dir: checksum mismatch, the backup is damaged; nothing was restored"
backup_kind=$(sed -n 's/^database=//p' "$source_dir/backup.info")
kind=$(database_kind)
[[ $backup_kind == "$kind" ]] ||
    die "the backup holds a $backup_kind database, the target (DATABASE_URL) is $kind"

# 2. The target is empty, or --force.
media=$(media_root)
private=$(private_media_root)
occupied=()
if [[ $kind == postgresql ]]; then
    psql --dbname="$DATABASE_URL" --no-psqlrc --quiet --tuples-only --no-align \
        --command='select 1' >/dev/null || die "cannot connect to the target database (create it first: createdb)"
    # Any table, sequence, view… outside the system schemas; a new database has none.
    objects=$(psql --dbname="$DATABASE_URL" --no-psqlrc --tuples-only --no-align --command="
        select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%'
          and n.nspname not like 'pg_temp%'")
    ((objects == 0)) || occupied+=("the database ($objects objects)")
else
    target_db=$(sqlite_path)
    [[ ! -s $target_db ]] || occupied+=("the SQLite file $target_db")
fi
if media_on_s3; then
    # One line per prefix that holds objects: "s3://bucket/prefix/ (12 objects)".
    buckets=$(manage s3_media occupied) || die "cannot list the target buckets (S3_* settings)"
    [[ -z $buckets ]] || mapfile -t -O "${#occupied[@]}" occupied <<<"$buckets"
else
    for dir in "$media" "$private"; do
        if [[ -d $dir ]] && [[ -n $(find "$dir" -mindepth 1 -print -quit) ]]; then
            occupied+=("$dir")
        fi
    done
fi
if ((${#occupied[@]})); then
    if ! $force; then
        EXIT_CODE=3 die "refusing to restore over data: $(IFS=,; echo "${occupied[*]}" | sed 's/,/, /g'). Restore into an empty database and empty directories, or pass --force to replace them."
    fi
    log "--force: replacing ${occupied[*]}"
fi

# 3. The database.
if [[ $kind == postgresql ]]; then
    clean=()
    $force && clean=(--clean --if-exists)
    # One transaction: a restore that fails leaves the target as it was. No owners or grants
    # from the source: the objects belong to the role of DATABASE_URL.
    pg_restore --no-owner --no-acl --exit-on-error --single-transaction "${clean[@]}" \
        --dbname="$DATABASE_URL" "$source_dir/database.dump"
else
    rm -f "$target_db" "$target_db-wal" "$target_db-shm"
    mkdir -p "$(dirname "$target_db")"
    cp "$source_dir/database.sqlite3" "$target_db"
fi
log "database restored"

# 4. The media: into the buckets when S3_BUCKET is set (whether the backup came from buckets or
# from disk: the archives name the files alike), else into the directories.
if media_on_s3; then
    replace=()
    $force && replace=(--replace)
    # The private objects get S3_PRIVATE_ACL, the media the bucket's own rule, as on upload.
    manage s3_media import "${replace[@]}" "$source_dir" ||
        die "the database is restored, the media buckets are not complete: fix the cause above, then rerun with --force"
    log "media restored into the buckets"
else
    for part in media private; do
        # The photos are read by nginx (www-data), as the application writes them (0644): under
        # this script's umask 027 they would come back 0640 and every photo would be a 403.
        # The private documents stay the service user's. --no-same-permissions: the same as root.
        if [[ $part == media ]]; then dir=$media mask=022; else dir=$private mask=027; fi
        (
            umask "$mask"
            mkdir -p "$dir"
            $force && find "$dir" -mindepth 1 -delete
            tar --extract --gzip --file="$source_dir/$part.tar.gz" --directory="$dir" \
                --no-same-owner --no-same-permissions
        )
    done
    log "media restored into $media and $private"
fi

# 5. The code and the restored schema agree (a backup older than the code needs `migrate`).
if ! (cd "$APP_DIR" && "$(python_bin)" manage.py migrate --check >/dev/null); then
    EXIT_CODE=4 die "restored, but manage.py migrate --check failed: the code has migrations the backup lacks (run manage.py migrate), or the application did not start (see above)"
fi
log "done: migrations up to date"
