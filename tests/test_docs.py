"""Every code example of README.md and docs/*.md runs as written, and no doc points at a
file users do not have.

Fenced blocks carry their language: ``python`` blocks run (in a fresh folder holding a
copy of ``sample_images/``, as a user who cloned the repository has it), ``sh`` blocks
run their ``alignment`` commands (installing the package and running this test suite
itself are the two commands skipped), ``json`` and ``toml`` blocks parse (a landmark
JSON is read by ``read_landmarks``), ``text`` blocks are synopses and output.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from alignment import read_landmarks

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LANGUAGES = ("python", "sh", "json", "toml", "text")
SKIPPED_COMMANDS = ("python3 -m pip install", "bash scripts/test.sh")
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
_LINK = re.compile(r"\]\(([^)#\s]+)|src=\"([^\"]+)\"")
_REPO_PATH = re.compile(r"`((?:docs|scripts|sample_images|alignment|tests)/[\w./-]+)`")


def _blocks(language: str) -> list[Any]:
    found = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for match in _FENCE.finditer(text):
            if match.group(1) == language:
                line = text[: match.start()].count("\n") + 1
                found.append(pytest.param(match.group(2), id=f"{doc.name}:{line}"))
    return found


@pytest.fixture
def user_folder(tmp_path, monkeypatch) -> Path:
    shutil.copytree(ROOT / "sample_images", tmp_path / "sample_images")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_every_fence_names_its_language():
    for doc in DOCS:
        for match in _FENCE.finditer(doc.read_text(encoding="utf-8")):
            assert match.group(1) in LANGUAGES, f"{doc.name}: fence ```{match.group(1)}"


@pytest.mark.parametrize("code", _blocks("python"))
def test_python_example_runs(code, user_folder):
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("code", _blocks("sh"))
def test_shell_example_runs(code, user_folder):
    for line in code.strip().splitlines():
        for command in line.split("&&"):
            command = command.strip()
            if command.startswith(SKIPPED_COMMANDS):
                continue
            words = shlex.split(command)
            assert words[0] == "alignment", f"not an alignment command: {command}"
            done = subprocess.run(
                [sys.executable, "-m", "alignment", *words[1:]],
                capture_output=True,
                text=True,
                timeout=600,
            )
            assert done.returncode == 0, f"{command}: {done.stderr}"


@pytest.mark.parametrize("code", _blocks("json"))
def test_json_example_parses(code, tmp_path):
    document = json.loads(code)
    if document.get("format") == "alignment-landmarks":
        path = tmp_path / "example.json"
        path.write_text(code)
        assert len(read_landmarks(path))


@pytest.mark.parametrize("code", _blocks("toml"))
def test_toml_example_parses(code):
    tomllib = pytest.importorskip("tomllib")
    assert tomllib.loads(code)


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.name)
def test_links_and_paths_point_at_files_users_have(doc):
    text = doc.read_text(encoding="utf-8")
    for match in _LINK.finditer(text):
        target = match.group(1) or match.group(2)
        if "://" not in target:
            assert (doc.parent / target).exists(), f"{doc.name}: link to missing {target}"
    for path in _REPO_PATH.findall(text):  # a file, or the files of a case ("case001")
        found = (ROOT / path).exists() or any((ROOT / path).parent.glob(Path(path).name + "*"))
        assert found, f"{doc.name}: names missing {path}"
    assert "shared/" not in text.replace("shared machine", ""), f"{doc.name}: internal path"
