"""Real-time setup for the box's threads: SCHED_FIFO priority, locked memory and the Python
GIL switch interval. Each step is allowed to fail (a laptop, a container, a user without
rtprio): the firmware logs what it got and why, and runs anyway.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import resource
import sys

log = logging.getLogger(__name__)

MCL_CURRENT, MCL_FUTURE = 1, 2


def set_realtime(priority: int, who: str) -> bool:
    """Give the calling thread SCHED_FIFO `priority` (Linux applies it to this thread only;
    threads it starts afterwards inherit it)."""
    if priority <= 0:
        report_realtime(priority, False, who)
        return False
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(priority))
    except (PermissionError, OSError, AttributeError) as exc:
        report_realtime(priority, False, who, getattr(exc, "strerror", exc) or str(exc))
        return False
    report_realtime(priority, True, who)
    return True


def report_realtime(priority: int, granted: bool, who: str, why: str = "not permitted") -> None:
    """Log what a thread got when it asked for SCHED_FIFO `priority` (the C audio thread
    asks on its own and reports here too)."""
    if granted:
        log.info("%s: SCHED_FIFO priority %d", who, priority)
    elif priority <= 0:
        log.info("%s: normal priority (priority 0 in the config)", who)
    else:
        soft, _ = resource.getrlimit(resource.RLIMIT_RTPRIO)
        log.warning("%s: SCHED_FIFO %d refused (%s; RLIMIT_RTPRIO is %s): running at normal "
                    "priority, expect xruns under load (the systemd unit sets LimitRTPRIO)",
                    who, priority, why, soft)


def current_policy() -> tuple[int, int]:
    """(policy, priority) of the calling thread, to put back later."""
    return os.sched_getscheduler(0), os.sched_getparam(0).sched_priority


def restore_policy(saved: tuple[int, int]) -> None:
    policy, priority = saved
    try:
        os.sched_setscheduler(0, policy, os.sched_param(priority))
    except OSError as exc:
        log.debug("could not restore the scheduling policy: %s", exc)


def lock_memory() -> bool:
    """mlockall, so no page of the process is swapped or lazily faulted in mid-period.

    Only with an unlimited RLIMIT_MEMLOCK (or CAP_IPC_LOCK): with MCL_FUTURE and a small
    limit, later allocations would fail instead of the lock."""
    soft, _ = resource.getrlimit(resource.RLIMIT_MEMLOCK)
    if soft != resource.RLIM_INFINITY and os.geteuid() != 0:
        log.info("audio: memory not locked (RLIMIT_MEMLOCK is %d bytes; the systemd unit sets "
                 "LimitMEMLOCK=infinity)", soft)
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    if libc.mlockall(MCL_CURRENT | MCL_FUTURE) != 0:
        log.warning("audio: mlockall failed (%s); pages may fault in during a period",
                    os.strerror(ctypes.get_errno()))
        return False
    log.info("audio: memory locked")
    return True


def unlock_memory() -> None:
    libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    libc.munlockall()


def tune_switch_interval(ms: float) -> float:
    """Set how long a thread may hold the GIL while another waits; returns the old value (s).

    The audio thread is C and never takes the GIL; the MIDI thread does, and Python's default
    (5 ms) would let the control loop keep it waiting for longer than a 64-frame period."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(ms / 1000.0)
    log.info("audio: GIL switch interval %.2f ms (was %.2f ms)", ms, old * 1e3)
    return old
