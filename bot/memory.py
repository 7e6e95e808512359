"""The process's memory once the long-lived objects are built (the bot, its match worker and the benchmark)."""

from __future__ import annotations

import gc


def settle_memory() -> None:
    """The knowledge and its index are long-lived objects by the hundred thousand: collected once and then
    kept out of the garbage collector's full passes, which would otherwise pause answering for milliseconds."""
    gc.collect()
    gc.freeze()
