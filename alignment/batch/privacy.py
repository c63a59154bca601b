"""What a pseudonymised run does beyond renaming rows: messages, and an earlier run's files.

With ``--pseudonymise`` no output outside the private state folder may carry a real
file name, case or path. Rows are renamed by the pipeline; this module covers the
rest: :func:`name_scrubber` rewrites free text (error messages, the recorded command
line) so that every name it knows of becomes its pseudonym, and
:func:`clear_other_privacy` removes the outputs of an earlier run made with other
privacy settings (an overlay named after a file, a report quoting one, DICOM written
with identifiers) before the run writes its own.

Examples
--------
>>> scrub = name_scrubber(lambda kind, value: f"{kind}-X", images=["DOE/ap.dcm"],
...                       paths={"/data/study": "INPUT_DIR"})
>>> scrub("/data/study/DOE/ap.dcm: truncated; see DOE/ap.dcm (map unchanged)")
'INPUT_DIR/img-X: truncated; see img-X (map unchanged)'
"""

from __future__ import annotations

import bisect
import json
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path, PurePosixPath

from alignment.atomic import write_text_atomic
from alignment.batch.pairing import case_of, stem

__all__ = ["clear_other_privacy", "name_scrubber"]

Pseudonym = Callable[[str, str], str]
"""``pseudonym(kind, value)``: the keyed-hash pseudonym of `value` (kinds ``img``,
``case``, ``name``)."""

_PRIVACY_FILE = "privacy.json"


def _parts(key: str) -> list[str]:
    """The names a key is made of: its folders, its file name, stem and default case."""
    path = PurePosixPath(key)
    return [*path.parts, stem(key), case_of(key)]


def name_scrubber(
    pseudonym: Pseudonym,
    *,
    images: Iterable[str] = (),
    files: Iterable[str] = (),
    cases: Iterable[str] = (),
    paths: Mapping[str, str] | None = None,
) -> Callable[[str], str]:
    """A function that replaces every known name in a text by its pseudonym.

    Parameters
    ----------
    pseudonym : callable
        ``pseudonym(kind, value)``, as the run's rows are renamed.
    images : iterable of str
        Image keys (and names from landmark tables): each becomes ``img-...``, and
        each folder, file name, stem and default case it is made of ``name-...``.
    files : iterable of str
        Keys of landmark files: ``img-...`` of ``landmarks:KEY`` (as in the
        manifest), their parts ``name-...``.
    cases : iterable of str
        Case names: ``case-...``.
    paths : mapping of str to str, optional
        Folder or file paths and the placeholder each becomes (``INPUT_DIR`` ...).

    Returns
    -------
    callable
        ``scrub(text) -> text``. A name is replaced only where it is not part of a
        longer word (letters or digits on either side), longest names first.
    """
    table: dict[str, tuple[str, str] | str] = dict(paths or {})  # name -> (kind, value)
    for key in images:
        table.setdefault(key, ("img", key))
    for key in files:
        table.setdefault(key, ("img", f"landmarks:{key}"))
    for case in cases:
        table.setdefault(case, ("case", case))
    for key in [*table]:
        if key not in (paths or {}):
            for part in _parts(key):
                table.setdefault(part, ("name", part))
    names = {name: how for name, how in table.items() if name.strip(".")}
    if not names:
        return str
    longest = max(map(len, names))
    heads = {name[:2] for name in names}  # one-letter names too: their head is them

    def replacement(name: str) -> str:
        how = names[name]
        return how if isinstance(how, str) else pseudonym(*how)

    return lambda text: _replace_names(text, names, replacement, longest, heads)


def _replace_names(
    text: str,
    names: Mapping[str, object],
    replacement: Callable[[str], str],
    longest: int,
    heads: set[str],
) -> str:
    """Replace the longest of `names` at each place one starts, leftmost first.

    A name counts only between word edges (no ASCII letter or digit just before or
    after it). Only spans that start and end at such edges, and start as some name
    does, are looked up in the dict, so the cost grows with the text, not with the
    number of names.
    """
    ends = [j for j in range(1, len(text) + 1) if j == len(text) or not _word(text[j])]
    out, i, copied = [], 0, 0
    while i < len(text):
        if (i == 0 or not _word(text[i - 1])) and (text[i : i + 2] in heads or text[i] in heads):
            first, last = bisect.bisect_right(ends, i), bisect.bisect_right(ends, i + longest)
            for j in reversed(ends[first:last]):
                if text[i:j] in names:
                    out += [text[copied:i], replacement(text[i:j])]
                    i = copied = j
                    break
            else:
                i += 1
        else:
            i += 1
    out.append(text[copied:])
    return "".join(out)


def _word(char: str) -> bool:
    return char.isascii() and char.isalnum()


def clear_other_privacy(
    out_dir: Path, state_dir: Path, settings: Mapping[str, bool], outputs: Sequence[str]
) -> list[Path]:
    """Remove the outputs of an earlier run made with other privacy settings.

    The settings of the last run are kept in the state folder. When they differ from
    `settings` (say a plain run, then one with ``--pseudonymise``), every output the
    earlier run may have written is removed first, so that none of its file names,
    overlays, report or DICOM survives beside the new run's: the new run, whose
    fingerprints differ, writes everything again.

    Parameters
    ----------
    out_dir : pathlib.Path
        The output folder (held under the run's lock).
    state_dir : pathlib.Path
        Its private state folder.
    settings : mapping of str to bool
        This run's privacy settings (``pseudonymise``, ``identifiers``).
    outputs : sequence of str
        Output files and folders, relative to `out_dir`.

    Returns
    -------
    list of pathlib.Path
        What was removed.
    """
    record = state_dir / _PRIVACY_FILE
    wanted = dict(sorted(settings.items()))
    before = json.loads(record.read_text()) if record.is_file() else {}
    previous = {name: bool(before.get(name, False)) for name in wanted}
    removed = []
    if previous != wanted:
        for name in outputs:
            path = out_dir / name
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
                removed.append(path)
            elif path.exists() or path.is_symlink():
                path.unlink()
                removed.append(path)
    if before != wanted:
        write_text_atomic(record, json.dumps(wanted) + "\n")
    return removed
