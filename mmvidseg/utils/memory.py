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


def reset_peak_rss() -> bool:
    """Reset the peak resident set size (``VmHWM``) to the current one.

    Returns:
        bool: False where ``/proc/self/clear_refs`` is not writable (not
        Linux, restricted container); :func:`hwm_rss_mb` is then the peak
        since the process started.
    """
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
        return True
    except OSError:
        return False


def hwm_rss_mb() -> float:
    """Peak resident set size since the last :func:`reset_peak_rss`
    (``VmHWM``), in MiB; :func:`peak_rss_mb` where ``/proc`` is missing."""
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return peak_rss_mb()
