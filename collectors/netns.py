"""Open sockets inside a named network namespace (`ip netns add NAME`).

A socket keeps the namespace it was created in, so the prober can live in this process
and still probe hosts that exist only inside a namespace (the sample lab, test hosts).
setns() applies to the calling thread only, hence a throw-away thread per call.
"""

from __future__ import annotations

import ctypes
import os
import socket
import threading
from pathlib import Path

CLONE_NEWNET = 0x40000000
NETNS_DIR = Path("/var/run/netns")


class NetnsError(OSError):
    pass


def open_socket_in(netns: str, family: int, kind: int, proto: int = 0) -> socket.socket:
    """Create a socket inside namespace `netns` and return it to the calling thread."""
    path = NETNS_DIR / netns
    if not path.exists():
        raise NetnsError(f"network namespace {netns!r} does not exist ({path})")
    result: list[socket.socket | BaseException] = []

    def work() -> None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            fd = os.open(path, os.O_RDONLY)
            try:
                if libc.setns(fd, CLONE_NEWNET) != 0:
                    err = ctypes.get_errno()
                    raise NetnsError(err, f"setns({netns}): {os.strerror(err)}")
            finally:
                os.close(fd)
            result.append(socket.socket(family, kind, proto))
        except BaseException as e:  # handed back to the caller's thread
            result.append(e)

    t = threading.Thread(target=work, name=f"netns-{netns}")
    t.start()
    t.join()
    out = result[0]
    if isinstance(out, BaseException):
        raise out
    return out
