"""Long fuzz campaigns over the readers of untrusted input.

Mutates valid seed files (see tests/fuzz/mutations.py) and feeds them to each target
(tests/fuzz/targets.py) under a per-input time limit and an address-space limit. An
input that breaks the contract (an exception other than the project's typed errors,
a typed error that does not name the file, a hang, a memory blow-up) is saved under
tests/fuzz/corpus/<target>/, where the test suite replays it for ever.

    python scripts/fuzz.py [--target dicom ...] [--seconds 600] [--seed 1]
    python scripts/fuzz.py --atheris --target landmarks   # coverage-guided, if installed
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import resource
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from alignment.batch.task import TaskTimeoutError, time_limit  # noqa: E402
from tests.fuzz.mutations import mutate  # noqa: E402
from tests.fuzz.targets import TARGETS, ContractViolationError, check, seed_bytes  # noqa: E402

CORPUS = ROOT / "tests" / "fuzz" / "corpus"


def _save(target: str, name: str, content: bytes, why: str) -> Path:
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{hashlib.sha256(content).hexdigest()[:16]}-{name}"
    path.write_bytes(content)
    print(f"  saved {path.relative_to(ROOT)}: {why}", flush=True)
    return path


def _run_one(target: str, name: str, content: bytes, folder: Path, limit_s: float) -> str | None:
    path = folder / name
    path.write_bytes(content)
    try:
        with time_limit(limit_s, path.name):
            check(TARGETS[target], path)
    except (ContractViolationError, TaskTimeoutError, MemoryError, RecursionError) as exc:
        return f"{type(exc).__name__}: {exc}"[:300]
    return None


def _run_forked(
    target: str, name: str, content: bytes, folder: Path, limit_s: float
) -> str | None:
    """:func:`_run_one` in a forked child, so an abort or a hang is seen, not suffered."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read_end)
        why = _run_one(target, name, content, folder, limit_s)
        os.write(write_end, (why or "").encode("utf-8", "replace")[:4000])
        os._exit(0)
    os.close(write_end)
    deadline = time.monotonic() + limit_s + 5
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(read_end)
            return f"hang: no result after {limit_s + 5:g} s"
        time.sleep(0.001)
    with os.fdopen(read_end, "rb") as pipe:
        why = pipe.read().decode("utf-8", "replace")
    if os.WIFSIGNALED(status):
        return f"the process died of signal {os.WTERMSIG(status)}"
    return why or None


def campaign(target: str, seconds: float, seed: int, limit_s: float) -> tuple[int, int]:
    """Fuzz `target` for `seconds`; return (inputs tried, crashers saved)."""
    rng = random.Random(seed)
    seeds = seed_bytes(target)
    tried = saved = 0
    deadline = time.monotonic() + seconds
    with tempfile.TemporaryDirectory() as folder:
        while time.monotonic() < deadline:
            name, content = rng.choice(seeds)
            mutated = mutate(target, content, rng, rounds=rng.randint(1, 4))
            why = _run_forked(target, name, mutated, Path(folder), limit_s)
            tried += 1
            if why is not None:
                _save(target, name, mutated, why)
                saved += 1
    return tried, saved


def _atheris(target: str) -> None:
    import atheris  # optional: pip install atheris

    seeds = seed_bytes(target)
    folder = Path(tempfile.mkdtemp())

    def one_input(data: bytes) -> None:
        name = seeds[len(data) % len(seeds)][0]
        why = _run_one(target, name, data, folder, 10.0)
        if why is not None:
            _save(target, name, data, why)
            raise RuntimeError(why)

    atheris.Setup([sys.argv[0]], one_input)
    atheris.Fuzz()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", action="append", choices=sorted(TARGETS))
    parser.add_argument("--seconds", type=float, default=60.0, help="per target")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds per input")
    parser.add_argument("--memory-gb", type=float, default=4.0, help="address-space limit")
    parser.add_argument("--atheris", action="store_true", help="coverage-guided (one target)")
    args = parser.parse_args()
    limit = int(args.memory_gb * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    targets = args.target or sorted(TARGETS)
    if args.atheris:
        _atheris(targets[0])
        return
    total_saved = 0
    for target in targets:
        tried, saved = campaign(target, args.seconds, args.seed, args.time_limit)
        total_saved += saved
        print(f"{target}: {tried} inputs, {saved} broke the contract", flush=True)
    sys.exit(1 if total_saved else 0)


if __name__ == "__main__":
    main()
