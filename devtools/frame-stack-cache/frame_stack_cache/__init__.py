"""Reuses the interpreter's frame-stack chunks instead of mapping and unmapping one on every call
at a chunk's edge (the reasons are in _cache.c).

frame_stack_cache.pth imports this package as each Python process of the environment starts, which
puts the cache in place; FRAME_STACK_CACHE=0 in the environment leaves the interpreter as it is.
"""

import os
import sys

try:
    from frame_stack_cache import _cache
except ImportError:  # installed where nothing could compile it: the interpreter keeps its own ways
    _cache = None

# 3.13 and later cache a chunk themselves
APPLIES = (3, 11) <= sys.version_info[:2] < (3, 13)


def install() -> bool:
    """Put the cache in place (once); whether it is."""
    if _cache is None or not APPLIES:
        return False
    _cache.install()
    return True


def statistics() -> dict:
    """Whether the cache is in place, how many chunks it handed out again, how many it passed on to
    be unmapped (it was full) and how many it holds now."""
    if _cache is None:
        return {"installed": False, "reused": 0, "passed_on": 0, "kept": 0}
    return _cache.statistics()


if os.environ.get("FRAME_STACK_CACHE", "1") != "0":
    install()
