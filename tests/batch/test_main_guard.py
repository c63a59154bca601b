"""run_batch from a plain script: fails at once saying what to add, or works when guarded."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[2] / "sample_images"

UNGUARDED = """
import alignment
result = alignment.run_batch({study!r}, {out!r}, jobs=1, overlays=False, report=False)
print("processed", result.processed, "errors", len(result.errors))
"""

GUARDED = """
import alignment

def main():
    return alignment.run_batch({study!r}, {out!r}, jobs=1, overlays=False, report=False)

if "__main__" == __name__:
    result = main()
    print("processed", result.processed, "errors", len(result.errors))
"""


def _run(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(source.format(study=str(SAMPLES), out=str(tmp_path / "o"))))
    return subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )


def test_unguarded_script_fails_at_once_with_what_to_add(tmp_path):
    done = _run(tmp_path, UNGUARDED)
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert "script.py, line 3" in last and 'if __name__ == "__main__":' in last
    assert not (tmp_path / "o").exists()  # no crash rows: nothing was started


def test_guarded_script_works(tmp_path):
    done = _run(tmp_path, GUARDED)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["processed", "12", "errors", "0"]
