"""Real database faults under the site, one at a time: run by tests/hardening/test_database_faults.py in a
mount namespace of its own (`unshare`), where it may mount and unmount as it likes and every mount
vanishes with it. As root and as any user alike (a user namespace maps the user to root in it), with
kernel mechanisms that hold even for root: read-only mounts and a small full disk.

    unshare --mount --propagation private [--user --map-root-user] \
        python -m tests.hardening.database_faults DIR

For each fault, on a fresh copy of a migrated SQLite database on a small tmpfs of its own, the site (the
whole Django stack, production settings, one process keeping its database connection as a worker does)
first stores a drawing and says it is healthy; then the fault is made, and /api/health, or a new
drawing, is asked for on the connection opened before the fault; then both on a new connection (a
worker that starts now). Each from a fresh copy. Prints one JSON object: what each answered.
"""

import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

DISK_MB = 8  # the tmpfs the database lives on
FREE_MB_NEEDED = 1  # DJANGO_DB_MIN_FREE_MB: the health check's floor, under the tmpfs's free space


def mount(*arguments):
    subprocess.run(["mount", *arguments], check=True, capture_output=True)


def read_only(path):
    """A read-only bind mount of `path` over itself (a file or a folder); kernel-enforced, even for root."""
    mount("--bind", str(path), str(path))
    mount("-o", "remount,bind,ro", str(path))


def answer(response):
    """What a response says, in short: its status, content type, code, detail and Retry-After."""
    try:
        body = response.json()
    except ValueError:
        body = {"detail": response.content[:300].decode(errors="replace")}
    return {
        "status": response.status_code,
        "content_type": response.get("Content-Type"),
        "code": body.get("code"),
        "detail": body.get("detail"),
        "retry_after": response.get("Retry-After"),
    }


def main(folder):
    folder = Path(folder)
    disk = folder / "disk"
    disk.mkdir()
    database = disk / "db.sqlite3"
    os.environ.update(
        DJANGO_SETTINGS_MODULE="digitsite.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_SECURE="0",
        DJANGO_ALLOWED_HOSTS="testserver",
        DATABASE_URL=f"sqlite:///{database}",
        DJANGO_DB_MIN_FREE_MB=str(FREE_MB_NEEDED),
        DJANGO_PREDICT_THROTTLE_RATE="off",
        DJANGO_LOG_LEVEL="CRITICAL",
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from tests.hardening.payloads import bar_image, json_image

    content_type, body = json_image(bar_image())
    client = Client()

    def health():
        return answer(client.get("/api/health"))

    def predict():
        return answer(client.generic("POST", "/api/predict", body, content_type=content_type))

    def fresh_disk():
        connection.close()
        if os.path.ismount(disk):
            subprocess.run(["umount", "--recursive", str(disk)], check=True)
        mount("-t", "tmpfs", "-o", f"size={DISK_MB}m", "tmpfs", str(disk))

    fresh_disk()
    call_command("migrate", verbosity=0)
    connection.close()
    template = folder / "template.sqlite3"
    shutil.copy(database, template)

    def fill_disk():
        with open(disk / "filler", "wb") as filler:
            try:
                while True:
                    filler.write(b"\0" * 65536)
                    filler.flush()
            except OSError:
                pass

    def delete_files():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)

    def replace_file():
        shutil.copy(template, disk / "other.sqlite3")
        os.replace(disk / "other.sqlite3", database)

    faults = {
        "read-only file": lambda: read_only(database),
        "read-only folder": lambda: read_only(disk),
        "full disk": fill_disk,
        "deleted file": delete_files,
        "replaced file": replace_file,
    }

    def faulty(make_fault):
        """A fresh database, a drawing stored and health asked (the connection is now open, as in a
        worker), then the fault: what was answered before it."""
        fresh_disk()
        shutil.copy(template, database)
        before = {"predict": predict(), "health": health()}
        make_fault()
        return before

    results = {}
    for name, make_fault in faults.items():
        before = faulty(make_fault)
        during = {"health": health()}
        faulty(make_fault)
        during["predict"] = predict()
        faulty(make_fault)
        connection.close()
        during |= {"health_new_connection": health(), "predict_new_connection": predict()}
        results[name] = {"before": before, "during": during}
    connection.close()
    subprocess.run(["umount", "--recursive", str(disk)], check=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1])
