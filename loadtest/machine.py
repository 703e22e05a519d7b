"""The machine the run shares: CPU use of everything on it, and the load average."""

import os


def cpu_times() -> tuple[int, int, int] | None:
    """(busy, total, niced) jiffies of all cores from /proc/stat; None where there is no /proc.

    Busy leaves out interrupt and softirq time: on loopback that is the kernel carrying the
    run's own packets, charged to no process, and would read as someone else's load. Niced is
    the part of busy spent by processes at lowered priority (`nice`), which yield the cores.
    """
    try:
        with open("/proc/stat") as handle:
            fields = [int(value) for value in handle.readline().split()[1:]]
    except OSError:
        return None
    # user nice system idle iowait irq softirq steal; guest time is already inside user.
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return user + nice + system + steal, user + nice + system + idle + iowait + irq + softirq + steal, nice


def busy_share(before: tuple[int, int] | None, after: tuple[int, int] | None) -> float | None:
    """Share of all cores' time spent busy between two readings."""
    if before is None or after is None or after[1] == before[1]:
        return None
    return (after[0] - before[0]) / (after[1] - before[1])


def load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]
