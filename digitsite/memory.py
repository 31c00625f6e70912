"""Give memory back to the system after a request that needed a lot of it for a moment.

A 4096×4096 upload (a few KB of PNG) is decoded into 64 MB of pixels. The request's objects are freed
only when Python's cycle collector next runs, and glibc then keeps the freed pages for the process to
reuse, so one such request left a gunicorn worker ~150 MB larger for good. The worker's Django thread
(digitsite.serving) calls `release_if_grown` after each request: one that grew the worker by more than
GROWTH_TO_RELEASE is collected and its pages returned (malloc_trim); an ordinary request, which grows
it by nothing, costs two reads of /proc/self/statm (a few µs). gunicorn.conf.py also has each worker
take large allocations straight from the system (`return_large_allocations_at_once`).
"""

import ctypes
import gc
import os

GROWTH_TO_RELEASE = 32 * 1024 * 1024
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def _glibc():
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: nothing to trim
        return None


GLIBC = _glibc()

# glibc's mallopt parameters
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
LARGE_ALLOCATION = 1024 * 1024


def return_large_allocations_at_once():
    """Have this process take every allocation of 1 MB or more (an image's pixels) straight from the
    system and give it back when freed, and keep one malloc arena for all its threads.

    glibc would otherwise raise its mmap threshold after the first large block is freed (up to 32 MB)
    and serve the next ones from a heap that fragments; and the Django thread of an asgi worker
    (digitsite.serving) would get an arena of its own, which malloc_trim shrinks far less. Called in
    each worker before it starts that thread."""
    if GLIBC is not None:
        GLIBC.mallopt(M_MMAP_THRESHOLD, LARGE_ALLOCATION)
        GLIBC.mallopt(M_ARENA_MAX, 1)


def resident_bytes():
    """This process's resident memory (Linux), or 0 where /proc is missing."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * PAGE_SIZE
    except OSError:
        return 0


def release_if_grown(*, resident_before):
    """If this process has grown by more than GROWTH_TO_RELEASE since `resident_before`, free what is
    garbage now and give the free pages back to the system. True if it did."""
    if resident_bytes() - resident_before <= GROWTH_TO_RELEASE:
        return False
    gc.collect()
    if GLIBC is not None:
        GLIBC.malloc_trim(0)
    return True
