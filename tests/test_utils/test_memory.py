# Copyright (c) mmvidseg contributors. All rights reserved.
import subprocess
import sys
import textwrap

import pytest

from mmvidseg.utils.memory import current_rss_mb, peak_rss_mb, reset_peak_rss

# Run in a fresh interpreter: in a long-lived process (the whole test suite) an
# allocation may reuse heap pages that are already resident, so the resident
# size need not grow.
_CHILD = textwrap.dedent("""
    from mmvidseg.utils.memory import (current_rss_mb, hwm_rss_mb,
                                       reset_peak_rss)
    assert reset_peak_rss()
    start = current_rss_mb()
    assert hwm_rss_mb() <= start + 16, (hwm_rss_mb(), start)
    block = bytearray(64 * 2**20)  # 64 MiB
    block[::4096] = b'\\x01' * len(block[::4096])  # touch every page
    grown = hwm_rss_mb() - start
    del block
    assert grown >= 48, grown
    assert hwm_rss_mb() >= current_rss_mb()  # the peak outlives the free
    print('ok', round(grown))
""")


def test_peak_follows_an_allocation_after_reset():
    assert current_rss_mb() > 0 and peak_rss_mb() > 0
    if not sys.platform.startswith('linux') or not reset_peak_rss():
        pytest.skip('needs a writable /proc/self/clear_refs')
    out = subprocess.run([sys.executable, '-c', _CHILD],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith('ok'), out.stdout
