"""What bench/ctserver.py and bench/pwserver.py share, with nothing but the standard library: those servers load
nothing of this project's library, so their cold start is comtypes' and pywin32's own (comserver.localserver does
the same for ours)."""

import os


def detach_std_handles() -> None:
    """fds 0-2 to NUL: a server COM started inherited its client's std handles (a pipe it must not hold open)."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        try:
            os.dup2(null, fd)
        except OSError:
            pass
