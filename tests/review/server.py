"""Start ``alignment review`` as a separate process, as a user does, on a free port."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

READY_TIMEOUT_S = 120.0


def start_server(
    study: Path, review_dir: Path, *, reader: str = "tester", options: Sequence[str] = ()
) -> tuple[subprocess.Popen[str], str]:
    """Run the server (port chosen by the system); return the process and its URL.

    The caller stops it (``process.kill()`` then ``process.wait()``).
    """
    command = [sys.executable, "-m", "alignment", "review", str(study), "--out",
               str(review_dir), "--reader", reader, "--no-browser", *options]  # fmt: skip
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=dict(os.environ)
    )
    assert process.stdout is not None
    deadline = time.monotonic() + READY_TIMEOUT_S
    seen = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if "token=" in line:
            return process, line.strip()
    process.kill()
    process.wait()
    raise RuntimeError("alignment review did not print its URL:\n" + "".join(seen))
