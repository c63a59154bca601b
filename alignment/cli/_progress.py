"""Progress on the terminal, shared by the sub-commands that take more than a few seconds."""

from __future__ import annotations

import sys
import time
from typing import Any

__all__ = ["Progress"]


class Progress:
    """A bar with count, rate and ETA on a terminal; a log line every 10 s otherwise.

    Called as ``progress(done, total[, stage])``: one bar per stage (a batch's
    ``hashing`` of the inputs, then its ``images``), so that the ETA of a stage is not
    skewed by the time the one before took. `unit` names what is counted.
    """

    def __init__(self, quiet: bool = False, unit: str = "image") -> None:
        self.quiet = quiet
        self.unit = unit
        self.bar: Any = None
        self.stage = ""
        self.started = self.last = time.monotonic()

    def __call__(self, done: int, total: int, stage: str = "") -> None:
        stage = stage or f"{self.unit}s"
        if self.quiet:
            return
        if stage != self.stage:
            self.close()
            self.stage, self.started = stage, time.monotonic()
        if sys.stderr.isatty():
            if self.bar is None:
                from tqdm import tqdm

                self.bar = tqdm(total=total, desc=stage, unit=self.unit, file=sys.stderr)
            self.bar.update(done - self.bar.n)
            return
        now = time.monotonic()
        if done and (now - self.last >= 10 or done == total):
            rate = done / max(now - self.started, 1e-9)
            eta = (total - done) / rate if rate else float("nan")
            print(f"{stage}: {done}/{total}, {rate:.1f}/s, ETA {eta:.0f} s", file=sys.stderr)
            self.last = now

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
