# Copyright (c) mmvidseg contributors. All rights reserved.
"""Resident memory of this process (the demo, the streaming benchmark and
the Video-TTT loop report it)."""
import resource


def current_rss_mb() -> float:
    """Resident set size of this process now, in MiB (Linux)."""
    try:
        with open('/proc/self/statm') as f:
            pages = int(f.read().split()[1])
        return pages * resource.getpagesize() / 2**20
    except OSError:  # not Linux: fall back to the peak
        return peak_rss_mb()


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
