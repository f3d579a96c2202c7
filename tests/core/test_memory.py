"""core.memory.keep_freed_memory: after it, a freed large array stays in the process for reuse
(glibc's default unmaps it at once)."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

SCRIPT = """
import sys
import numpy as np
from upgrading.core.memory import keep_freed_memory

def rss_mb():
    return int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**20

if sys.argv[1] == "keep":
    assert keep_freed_memory()
a = np.ones(400 * 2**20 // 8)  # 400 MB, above glibc's largest mmap threshold
before = rss_mb()
del a
print(before - rss_mb())
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's mallopt, read through /proc")
def test_freed_memory_stays_only_after_the_setting():
    def released(mode):
        out = subprocess.run([sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, check=True)
        return float(out.stdout)

    assert released("default") > 350  # unmapped at once
    assert released("keep") < 50      # kept in the heap for the next allocation
