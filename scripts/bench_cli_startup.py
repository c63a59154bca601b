"""Benchmark: how long ``alignment --help`` and each sub-command's ``--help`` take,
beside ``python -c pass`` (the interpreter's own start-up) timed in the same run.

Aim (issue 14): under 0.5 s each. Each figure is the best of `--repeat` runs, as wall
clock and as the CPU time (user + system) the process used: on a busy machine the wall
clock of the baseline and the commands alike grows with the load, their CPU time
hardly does.

    python scripts/bench_cli_startup.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time

from alignment.cli import COMMANDS

AIM_S = 0.5


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def best_of(argv: list[str], repeat: int) -> tuple[float, float]:
    """Shortest wall-clock time and shortest CPU time of `repeat` runs of `argv`, in
    seconds."""
    walls, cpus = [], []
    for _ in range(repeat):
        started, cpu = time.perf_counter(), _cpu_of_children()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        walls.append(time.perf_counter() - started)
        cpus.append(_cpu_of_children() - cpu)
    return min(walls), min(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    baseline, baseline_cpu = best_of([sys.executable, "-c", "pass"], args.repeat)
    print(f"{'':<32} {'wall':>7}  {'CPU':>7}")
    print(f"{'python -c pass':<32} {baseline:6.3f}s  {baseline_cpu:6.3f}s  (baseline)")
    slowest = slowest_cpu = 0.0
    for words in ([], *([name] for name in COMMANDS)):
        argv = [sys.executable, "-m", "alignment", *words, "--help"]
        seconds, cpu = best_of(argv, args.repeat)
        slowest, slowest_cpu = max(slowest, seconds), max(slowest_cpu, cpu)
        label = " ".join(["alignment", *words, "--help"])
        print(
            f"{label:<32} {seconds:6.3f}s  {cpu:6.3f}s  "
            f"(+{seconds - baseline:.3f} s wall, +{cpu - baseline_cpu:.3f} s CPU over baseline)"
        )
    verdict = "reached" if slowest < AIM_S else "not reached"
    print(f"slowest {slowest:.3f} s wall, {slowest_cpu:.3f} s CPU; aim < {AIM_S} s: {verdict}")


if __name__ == "__main__":
    main()
