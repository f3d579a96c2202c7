"""glibc's allocator setting for the steps that free and allocate large arrays over and over.

glibc maps every allocation above its mmap threshold (at most 32 MB) afresh and unmaps it when it
is freed. A step that makes and frees an array the size of a column at every iteration (the wild
bootstrap's set-up, the GMM of the production functions, the replication worlds of the estimand)
then has the kernel zero a fresh page for every 4 KB each time, and on a virtual machine
that reports free memory to its host, a first touch can fault on the host as well. With mmap off
and no trimming, freed blocks stay in the heap and are reused. The price is a peak that can rise
where freed blocks are not reused, so only steps that gain from it and whose peak stays under
3 GB at full scale with it take it (docs/benchmarks.md has the measurements).
"""

from __future__ import annotations

import ctypes
import ctypes.util

# mallopt parameters of glibc's malloc.h
M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed memory in the heap for reuse; False where the C library has no
    mallopt (not glibc), which leaves the allocator as it is."""
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(mallopt(M_MMAP_MAX, 0)) and bool(mallopt(M_TRIM_THRESHOLD, 2**31 - 1))
