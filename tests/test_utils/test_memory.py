# Copyright (c) mmvidseg contributors. All rights reserved.
import sys

import pytest

from mmvidseg.utils.memory import (current_rss_mb, hwm_rss_mb, peak_rss_mb,
                                   reset_peak_rss)


def test_peak_follows_an_allocation_after_reset():
    assert current_rss_mb() > 0 and peak_rss_mb() > 0
    if not sys.platform.startswith('linux') or not reset_peak_rss():
        pytest.skip('needs a writable /proc/self/clear_refs')
    start = current_rss_mb()
    assert hwm_rss_mb() <= start + 16  # reset to about the current size
    block = bytearray(64 * 2**20)  # 64 MiB, touched (zero-filled)
    block[::4096] = b'\x01' * len(block[::4096])
    grown = hwm_rss_mb() - start
    del block
    assert grown >= 48, grown
    assert hwm_rss_mb() >= current_rss_mb()  # the peak outlives the free
