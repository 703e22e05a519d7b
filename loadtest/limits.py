"""Process limits a run with thousands of sockets needs."""

import resource


def raise_open_file_limit() -> int:
    """Lifts the soft open-file limit to the hard one (every socket is a file); returns it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1_048_576)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft
