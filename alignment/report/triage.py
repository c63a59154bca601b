"""Which films a person should look at, and why: the report's definition of "flagged".

A film is *flagged* when something about it needs a person's eyes, not whenever any
measure strays from its target: most films of a cohort have some value just outside
its tolerance, and a flag on every film is a flag on none. The rules are data
(:data:`REVIEW_FLAGS`, :data:`FAR_FROM_TARGET`) and :func:`review_reasons` applies them.
A film with an error is *failed*, not flagged: its error says what went wrong.
"""

from __future__ import annotations

import pandas as pd

from alignment.report._common import display_name, numeric_column, text_column

__all__ = ["FAR_FROM_TARGET", "REVIEW_FLAGS", "review_reasons"]

FAR_FROM_TARGET = 2.0
"""A deviation beyond this many tolerances from the target flags its film (a value
just past one tolerance is an outlier of the study, not a film to re-check)."""

REVIEW_FLAGS: tuple[str, ...] = ("review", "orientation_conflict")
"""Row flags that flag the film: detection asked for a review, or the image's stated
orientation contradicts its landmarks."""


def _leg(side: str, view: str, reader: str) -> str:
    short = {"left": "L", "right": "R"}.get(side, side)
    return f"{short} {view}" + (f" ({reader})" if reader else "")


def review_reasons(results: pd.DataFrame) -> pd.DataFrame:
    """The reasons to look at each film, one row per reason.

    Parameters
    ----------
    results : pandas.DataFrame
        The long results table (``image`` required; ``side, view, reader, measure,
        status, reason, target, tolerance, deviation, flags`` used where present).

    Returns
    -------
    pandas.DataFrame
        Columns ``image``; ``leg`` (``"R AP"``, with the reader in brackets if any);
        ``measure`` (its printed name, ``""`` for a flag of the whole leg); ``finding``
        (what is wrong with it); ``reason`` (the three in one sentence); all str, in
        the order of the rows of `results`, duplicates dropped. A film is flagged when
        it has a row. The rules, per results row:

        - an *applicable* measure (one with a target for this knee) is not ``ok``:
          ``"R AP HKA not computed: <its reason>"``;
        - ``|deviation| > FAR_FROM_TARGET * tolerance``: ``"R AP HKA +7.2 deg from
          target (tolerance 3)"``; the sign is the spec's ``value - target``;
        - a flag of :data:`REVIEW_FLAGS`: ``"R AP flagged review"`` or ``"R AP flagged
          orientation conflict"`` (once per leg).

    Raises
    ------
    ValueError
        `results` has no ``image`` column.

    Notes
    -----
    Missing measures without a target (a length on a film without pixel spacing, a
    native-knee angle on a replaced knee) and outliers within two tolerances do not
    flag a film; they stay in the results and in the case table.

    Examples
    --------
    >>> results = pd.DataFrame({"image": ["a", "a", "b"], "side": ["left"] * 3,
    ...     "view": ["AP"] * 3, "measure": ["hka", "mpta", "hka"],
    ...     "status": ["ok", "missing", "ok"], "reason": ["", "missing ankle_center", ""],
    ...     "target": [180.0, 87.0, 180.0], "tolerance": [3.0, 3.0, 3.0],
    ...     "deviation": [4.0, float("nan"), -7.5], "flags": ["", "", ""]})
    >>> for image, reason in review_reasons(results)[["image", "reason"]].itertuples(index=False):
    ...     print(image, "|", reason)
    a | L AP MPTA not computed: missing ankle_center
    b | L AP HKA -7.5 deg from target (tolerance 3)
    """
    if "image" not in results.columns:
        raise ValueError(f"results lacks column image; got {list(results.columns)}")
    text = {c: text_column(results, c) for c in ("image", "side", "view", "reader", "measure",
                                                  "reason", "unit", "flags")}  # fmt: skip
    status = text_column(results, "status", "ok")
    number = {c: numeric_column(results, c) for c in ("target", "tolerance", "deviation")}
    not_computed = (status != "ok") & number["target"].notna()
    far = (status == "ok") & (number["deviation"].abs() > FAR_FROM_TARGET * number["tolerance"])
    out: list[tuple[str, str, str, str]] = []
    for i in range(len(results)):
        image = text["image"].iloc[i]
        leg = _leg(text["side"].iloc[i], text["view"].iloc[i], text["reader"].iloc[i])
        name = display_name(text["measure"].iloc[i])
        if not_computed.iloc[i]:
            why = text["reason"].iloc[i] or status.iloc[i]
            out.append((image, leg, name, f"not computed: {why}"))
        if far.iloc[i]:
            unit = text["unit"].iloc[i] or "deg"
            deviation, tolerance = number["deviation"].iloc[i], number["tolerance"].iloc[i]
            out.append((image, leg, name, f"{deviation:+.1f} {unit} from target "
                                          f"(tolerance {tolerance:g})"))  # fmt: skip
        flags = {f.strip() for f in text["flags"].iloc[i].split(";")}
        out += [(image, leg, "", f"flagged {f.replace('_', ' ')}") for f in REVIEW_FLAGS
                if f in flags]  # fmt: skip
    table = pd.DataFrame(out, columns=["image", "leg", "measure", "finding"], dtype=str)
    parts = zip(table["leg"], table["measure"], table["finding"], strict=True)
    table["reason"] = [" ".join(p for p in row if p) for row in parts]
    return table.drop_duplicates(ignore_index=True)
