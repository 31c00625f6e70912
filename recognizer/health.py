"""Can the site store drawings? The database checks behind /api/health and after each stored drawing.

- `database_problem()`: a real write that leaves nothing behind — a row with a fixed key inserted into
  an always-empty table (WriteProbe) inside a transaction that is rolled back, so no sequence moves —
  and then, for SQLite, the file checks a rolled-back write cannot make: a rolled-back INSERT never
  reaches the disk, and a connection opened before a fault keeps writing into the file it holds. So:
  the path still names the file this connection opened (not deleted, not replaced); file and folder
  are writable (SQLite creates its -wal and -shm files beside the database); the disk has room.
- `stored_safely()`: around the INSERT of a drawing, one transaction that is committed only if the
  database file is still the one at its path. A drawing written into a deleted file is lost with it:
  the client is then told 503, never 201.

Problems are sentences for a person (they name no secret); DatabaseUnavailable carries them.
"""

import logging
import os
from contextlib import contextmanager

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.db.backends.signals import connection_created
from django.dispatch import receiver
from django.utils import timezone

from recognizer.errors import DatabaseUnavailable
from recognizer.models import WriteProbe

logger = logging.getLogger(__name__)

WRITE_PROBE_KEY = 1


def sqlite_path(connection):
    """The file of a SQLite connection; None for another database, or SQLite in memory."""
    if connection.vendor != "sqlite":
        return None
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or "mode=memory" in name:
        return None
    return name.removeprefix("file:").split("?", 1)[0]


@receiver(connection_created)
def remember_sqlite_file(sender, connection, **kwargs):
    """Note which file (device and inode) a new SQLite connection opened."""
    path = sqlite_path(connection)
    if path is not None:
        try:
            status = os.stat(path)
        except OSError:
            connection.sqlite_file_identity = None
        else:
            connection.sqlite_file_identity = (status.st_dev, status.st_ino)


def sqlite_file_changed(connection):
    """Why the file at a SQLite connection's path is no longer the one it opened, or None."""
    path = sqlite_path(connection)
    if path is None or connection.connection is None:
        return None
    name = os.path.basename(path)
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return f"The database file {name} was deleted while the site was running."
    except OSError as error:
        return f"The database file {name} cannot be read ({error.strerror})."
    opened = getattr(connection, "sqlite_file_identity", None)
    if opened is not None and (status.st_dev, status.st_ino) != opened:
        return f"The database file {name} was replaced while the site was running."
    return None


def sqlite_file_problem(connection):
    """Why a SQLite database cannot take writes, judged from its file; None if it can."""
    changed = sqlite_file_changed(connection)
    if changed is not None:
        return changed
    path = sqlite_path(connection)
    if path is None:
        return None
    name, folder = os.path.basename(path), os.path.dirname(path) or "."
    # os.access asks the kernel, which also says no on a read-only mount, even to root.
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"The folder of the database file {name} is read-only (SQLite writes its -wal and -shm there)."
    if not os.access(path, os.W_OK):
        return f"The database file {name} is read-only."
    disk = os.statvfs(folder)
    free = disk.f_bavail * disk.f_frsize
    if free < settings.DATABASE_MIN_FREE_BYTES:
        return (
            f"The disk of the database file {name} is full: {free / 2**20:.1f} MB free, "
            f"below the {settings.DATABASE_MIN_FREE_BYTES / 2**20:g} MB it needs."
        )
    return None


def database_problem(*, using="default"):
    """None when the database takes writes; otherwise why not, in one sentence."""
    connection = connections[using]
    try:
        with transaction.atomic(using=using):
            WriteProbe.objects.using(using).create(id=WRITE_PROBE_KEY, written_at=timezone.now())
            transaction.set_rollback(True, using=using)
    except DatabaseError as error:
        # (Django closes a connection that failed when the request ends; the next one opens anew.)
        logger.error("The database does not accept writes: %s", error)
        return f"The database does not accept writes ({reason(error, connection)})."
    problem = sqlite_file_problem(connection)
    if problem is not None and sqlite_file_changed(connection) is not None and not connection.in_atomic_block:
        connection.close()  # reopen the file at its path next time (once it is back)
    return problem


@contextmanager
def stored_safely(*, using="default"):
    """A transaction for storing a drawing, committed only if the database file is still the one the
    connection opened. Raises DatabaseUnavailable (and rolls back) when it is not."""
    connection = connections[using]
    try:
        with transaction.atomic(using=using):
            yield
            changed = sqlite_file_changed(connection)
            if changed is not None:
                raise DatabaseUnavailable(changed)
    except DatabaseUnavailable:
        if not connection.in_atomic_block:
            connection.close()  # reopen the file at its path next time (once it is back)
        raise


def reason(error, connection):
    """A database error in a few words that reveal no host or user name: SQLite's own message (about a
    local file), or the name of the server's error (ReadOnlySqlTransaction, OperationalError, ...)."""
    if connection.vendor == "sqlite":
        lines = str(error).strip().splitlines()
        return lines[0][:200] if lines else type(error).__name__
    return type(error.__cause__ or error).__name__
