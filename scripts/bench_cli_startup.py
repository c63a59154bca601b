"""Benchmark: how long ``alignment --help`` and each sub-command's ``--help`` take,
beside ``python -c pass`` (the interpreter's own start-up) timed in the same run.

Aim (issue 14): under 0.5 s each. Each figure is the best of `--repeat` runs (wall
clock), so that a busy machine inflates the baseline and the commands alike.

    python scripts/bench_cli_startup.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from alignment.cli import COMMANDS

AIM_S = 0.5


def best_of(argv: list[str], repeat: int) -> float:
    """Shortest wall-clock time of `repeat` runs of `argv`, in seconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    baseline = best_of([sys.executable, "-c", "pass"], args.repeat)
    print(f"{'python -c pass':<32} {baseline:6.3f} s  (baseline)")
    slowest = 0.0
    for words in ([], *([name] for name in COMMANDS)):
        seconds = best_of([sys.executable, "-m", "alignment", *words, "--help"], args.repeat)
        slowest = max(slowest, seconds)
        label = " ".join(["alignment", *words, "--help"])
        print(f"{label:<32} {seconds:6.3f} s  (+{seconds - baseline:.3f} s over the baseline)")
    verdict = "reached" if slowest < AIM_S else "not reached"
    print(f"slowest {slowest:.3f} s; aim < {AIM_S} s: {verdict}")


if __name__ == "__main__":
    main()
