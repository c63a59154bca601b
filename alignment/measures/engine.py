"""The measurement engine: a landmark table in, the long results table out.

All legs of a view are measured at once: the landmarks become one array of shape
``(n_legs, n_landmarks, 2)`` in millimetres, each formula of the registry runs once
over it, and the statuses, reasons and flags are built with array operations. There
is no Python loop over legs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from alignment import geometry
from alignment.landmarks import KEY_COLUMNS, read_landmarks, validate_landmarks
from alignment.measures.presets import Preset, load_preset
from alignment.measures.registry import (
    AXES,
    FALLBACKS,
    MEASURES,
    POINTS,
    Measure,
    measures_for,
)
from alignment.vocabulary import LANDMARKS, VIEWS, View

__all__ = [
    "COMPONENT_LANDMARKS",
    "RESULT_COLUMNS",
    "flag_review",
    "knee_types",
    "measure_landmarks",
    "measure_validated",
    "to_wide",
]

RESULT_COLUMNS: tuple[str, ...] = (
    "image",
    "case",
    "reader",
    "side",
    "view",
    "measure",
    "value",
    "unit",
    "target",
    "tolerance",
    "deviation",
    "abs_deviation",
    "outlier",
    "label",
    "status",
    "reason",
    "flags",
    "preset",
    "preset_hash",
    "knee",
)
"""Columns of the long results table, in order."""

COMPONENT_LANDMARKS = ("femoral_component_anterior", "femoral_component_posterior")
"""Landmarks only a replaced knee has: a knee whose lateral film has them is replaced."""

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

# Where the leg's lateral direction came from.
_FROM_LANDMARKS, _FROM_ORIENTATION, _FROM_DEFAULT = 0, 1, 2
_FRAME_FLAGS = {_FROM_ORIENTATION: "lateral_from_orientation",
                _FROM_DEFAULT: "lateral_from_default_orientation"}  # fmt: skip
_DEFAULT_ORIENTATION = "L\\F"  # radiological AP display: patient's left to the viewer's right
_OPPOSITE = {"L": "R", "R": "L", "A": "P", "P": "A", "H": "F", "F": "H"}
_PROXIMAL_ORDER = ("femoral_head_center", "femoral_shaft_proximal", "femoral_knee_center",
                   "knee_center")  # fmt: skip
_DISTAL_ORDER = ("ankle_center", "tibial_shaft_distal", "tibial_knee_center", "knee_center")
_CPAK_ROUNDING = 6  # decimals of a degree: CPAK bounds are judged free of float noise


@dataclass(frozen=True)
class _Ray:
    """An axis: its start point and its vector, both (n, 2) in mm."""

    start: FloatArray
    vector: FloatArray

    def __neg__(self) -> _Ray:
        return _Ray(self.start + self.vector, -self.vector)


def _vector(v: _Ray | FloatArray) -> FloatArray:
    return v.vector if isinstance(v, _Ray) else v


def _orientation_vector(orientation: str, letter: str) -> tuple[float, float] | None:
    """Image direction of patient direction `letter` under a DICOM Patient Orientation.

    ``orientation`` is ``ROW\\COLUMN``: the patient direction of increasing column
    (+x) and of increasing row (+y); the first letter of each value dominates.
    """
    values = orientation.upper().split("\\")
    if len(values) != 2 or not all(v[:1] in _OPPOSITE for v in values):
        return None
    for axis, value in zip(((1.0, 0.0), (0.0, 1.0)), values, strict=True):
        if value[0] == letter:
            return axis
        if _OPPOSITE[value[0]] == letter:
            return (-axis[0], -axis[1])
    return None


def _orientation_vectors(
    orientations: NDArray[Any], letters: NDArray[Any]
) -> tuple[FloatArray, BoolArray]:
    """Per leg, the image vector of a patient direction letter, and whether it is known."""
    vectors = np.full((len(orientations), 2), np.nan)
    for orientation, letter in set(zip(orientations, letters, strict=True)):
        vector = _orientation_vector(orientation, letter)
        if vector is not None:
            vectors[(orientations == orientation) & (letters == letter)] = vector
    return vectors, ~np.isnan(vectors[:, 0])


def _mean_direction(*vectors: FloatArray) -> FloatArray:
    """Unit mean of the unit vectors given (NaN rows ignored); NaN where none is usable."""
    units = np.stack([geometry.unit(v) for v in vectors])
    total = np.nansum(units, axis=0)
    total[np.isnan(units).all(axis=0)] = np.nan
    return geometry.unit(total)


def _first_present(points: dict[str, FloatArray], names: tuple[str, ...]) -> FloatArray:
    out = np.full_like(next(iter(points.values())), np.nan)
    for name in reversed(names):
        here = ~np.isnan(points[name][:, 0])
        out[here] = points[name][here]
    return out


class _Legs:
    """The legs of one view, in mm, with their anatomical frame and the formula functions."""

    def __init__(
        self,
        view: View,
        points_px: FloatArray,
        spacing_mm: FloatArray,
        magnification: FloatArray,
        sides: NDArray[Any],
        orientations: NDArray[Any],
    ) -> None:
        self.view = view
        self.has_spacing: BoolArray = np.asarray(np.isfinite(spacing_mm).all(axis=1))
        spacing = np.where(self.has_spacing[:, None], spacing_mm, 1.0)
        points_mm = geometry.to_mm(points_px, spacing)
        self.points = {name: points_mm[:, k] for k, name in enumerate(LANDMARKS[view])}
        for name, fallback in FALLBACKS.items():
            if name in self.points:
                missing = np.isnan(self.points[name][:, 0]).astype(bool)
                self.points[name] = np.where(
                    missing[:, None], self.points[fallback], self.points[name]
                )
        self.present = {name: ~np.isnan(p[:, 0]) for name, p in self.points.items()}
        self.magnification = np.where(np.isnan(magnification), 1.0, magnification)
        known = orientations != ""
        self.orientation_known = known
        self.orientations = np.where(known, orientations, _DEFAULT_ORIENTATION)
        self.frame_source = np.full(len(sides), _FROM_LANDMARKS)
        self.conflict = np.zeros(len(sides), dtype=bool)
        if view == "AP":
            self._ap_frame(sides)
        else:
            self._lat_frame()

    def axis(self, name: str) -> FloatArray:
        spec = AXES[name]
        return self.points[spec.end] - self.points[spec.start]

    def _check(self, found: FloatArray, expected: FloatArray, from_landmarks: BoolArray) -> None:
        """Flag legs whose landmark-given direction disagrees with the known orientation."""
        disagree = np.einsum("ij,ij->i", found, expected) < 0
        self.conflict |= from_landmarks & self.orientation_known & np.nan_to_num(disagree)

    def _ap_frame(self, sides: NDArray[Any]) -> None:
        lateral = _mean_direction(self.axis("jF"), self.axis("jT"))
        toward = np.where(sides == "left", "L", "R")
        oriented_lateral, lateral_known = _orientation_vectors(self.orientations, toward)
        default_lateral = np.where(sides[:, None] == "left", [[1.0, 0.0]], [[-1.0, 0.0]])
        from_landmarks = ~np.isnan(lateral[:, 0])
        self._check(lateral, oriented_lateral, from_landmarks & lateral_known)
        use_orientation = ~from_landmarks & lateral_known & self.orientation_known
        self.frame_source[use_orientation] = _FROM_ORIENTATION
        self.frame_source[~from_landmarks & ~use_orientation] = _FROM_DEFAULT
        given = np.where(use_orientation[:, None], oriented_lateral, default_lateral)
        lateral = np.where(from_landmarks[:, None], lateral, given)
        oriented_distal, distal_known = _orientation_vectors(
            self.orientations, np.full(len(sides), "F")
        )
        oriented_distal[~distal_known] = (0.0, 1.0)
        along = _first_present(self.points, _DISTAL_ORDER) - _first_present(
            self.points, _PROXIMAL_ORDER
        )
        candidate = geometry.perpendicular(lateral)
        sign = np.sign(np.einsum("ij,ij->i", candidate, along))
        distal_from_landmarks = np.nan_to_num(sign) != 0
        fallback_sign = np.sign(np.einsum("ij,ij->i", candidate, oriented_distal))
        sign = np.where(
            distal_from_landmarks, sign, np.where(fallback_sign == 0, 1, fallback_sign)
        )
        self.lateral, self.distal = lateral, candidate * sign[:, None]
        self._check(along, oriented_distal, distal_from_landmarks & distal_known)

    def _lat_frame(self) -> None:
        n = len(self.orientations)
        self.lateral = self.distal = np.full((n, 2), np.nan)  # no LAT measure is signed
        anterior = _mean_direction(self.axis("cT"), -self.axis("cF"))
        oriented, known = _orientation_vectors(self.orientations, np.full(n, "A"))
        self._check(anterior, oriented, ~np.isnan(anterior[:, 0]) & known)
        along = self.points["tibial_shaft_distal"] - self.points["femoral_shaft_proximal"]
        oriented, known = _orientation_vectors(self.orientations, np.full(n, "F"))
        self._check(along, oriented, (geometry.norm(along) > 0) & known)

    # The functions a formula may call.
    def functions(self) -> dict[str, Any]:
        lateral, distal = self.lateral, self.distal
        return {
            "angle": lambda a, b: geometry.angle_deg(_vector(a), _vector(b)),
            "turn": lambda a, b: geometry.turn_deg(_vector(a), _vector(b), lateral, distal),
            "dir": lambda v: geometry.direction_deg(_vector(v), lateral, distal),
            "length": lambda v: geometry.norm(_vector(v)),
            "offset": lambda p, r: geometry.signed_offset(p, r.start, r.start + r.vector, lateral),
            "cpak": _cpak_type,
        }

    def lookup(self, computed: Mapping[str, FloatArray]) -> Any:
        def get(name: str) -> Any:
            if name in AXES:
                return _Ray(self.points[AXES[name].start], self.axis(name))
            if name in POINTS:
                return np.mean([self.points[p] for p in POINTS[name].landmarks], axis=0)
            if name == "magnification":
                return self.magnification
            return computed[name]

        return get


def _cpak_type(ahka: FloatArray, jlo: FloatArray) -> FloatArray:
    """CPAK type number 1-9 (MacDessi 2021); bounds inclusive on the neutral side."""
    ahka, jlo = np.round(ahka, _CPAK_ROUNDING), np.round(jlo, _CPAK_ROUNDING)
    column = np.where(ahka < -2, 0, np.where(ahka > 2, 2, 1))
    row = np.where(jlo < 177, 0, np.where(jlo > 183, 2, 1))
    return np.where(np.isnan(ahka) | np.isnan(jlo), np.nan, row * 3 + column + 1.0)


def _axes_used(measure: Measure) -> list[str]:
    names = [n for n in sorted(measure.formula.names) if n in AXES]
    for dependency in measure.depends_on:
        names += [n for n in _axes_used(MEASURES[dependency]) if n not in names]
    return names


def _explain(masks: list[BoolArray], texts: list[str], prefix: str) -> NDArray[Any]:
    """Per row, ``prefix`` + the texts whose mask is set, joined; '' where none is."""
    n = len(masks[0])
    out = np.full(n, "", dtype=object)
    if not texts:
        return out
    codes = np.zeros(n, dtype=np.int64)
    for bit, mask in enumerate(masks):
        codes |= mask.astype(np.int64) << bit
    for code in np.unique(codes[codes > 0]):
        chosen = [t for bit, t in enumerate(texts) if code >> bit & 1]
        out[codes == code] = prefix + ", ".join(chosen)
    return out


def _landmark_text(name: str) -> str:
    fallback = FALLBACKS.get(name)
    return f"{name} (or {fallback})" if fallback else name


def _status(legs: _Legs, measure: Measure, value: FloatArray) -> tuple[NDArray[Any], BoolArray]:
    """Reason (empty where the value is fine) and the ok mask for one measure."""
    absent = [~legs.present[name] for name in measure.landmarks]
    reason = _explain(absent, [_landmark_text(n) for n in measure.landmarks],
                      "missing landmark(s): ")  # fmt: skip
    any_absent = np.any(absent, axis=0)
    axes = _axes_used(measure)
    zero = [~any_absent & (geometry.norm(legs.axis(a)) == 0) for a in axes]
    texts = [f"{a} ({AXES[a].start} and {AXES[a].end} coincide)" for a in axes]
    degenerate = _explain(zero, texts, "zero-length axis: ")
    reason = np.where(reason == "", degenerate, reason)
    if measure.unit == "mm":
        reason = np.where((reason == "") & ~legs.has_spacing,
                          "no pixel spacing: lengths are unknown", reason)  # fmt: skip
    reason = np.where((reason == "") & ~np.isfinite(value), "not computable", reason)
    ok = reason == ""
    return reason, ok


def _flags(legs: _Legs, measure: Measure, ok: BoolArray) -> NDArray[Any]:
    parts = []
    if measure.unit != "mm":
        parts.append((ok & ~legs.has_spacing, "no_spacing"))
    if measure.signed:
        for source, text in _FRAME_FLAGS.items():
            parts.append((ok & (legs.frame_source == source), text))
    parts.append((legs.conflict, "orientation_conflict"))
    masks, texts = zip(*parts, strict=True)
    out = _explain(list(masks), list(texts), "")
    return np.char.replace(out.astype(str), ", ", ";").astype(object)


def _measure_view(view: View, table: pd.DataFrame, leg: NDArray[np.integer]) -> dict[str, Any]:
    """Measure every leg of one view; return per-(leg, measure) arrays, leg-major."""
    names = LANDMARKS[view]
    legs_here, position = np.unique(leg, return_inverse=True)
    n = len(legs_here)
    points = np.full((n, len(names), 2), np.nan)
    column = pd.Index(names).get_indexer(pd.Index(table["landmark"].astype(object)))
    points[position, column] = table[["x", "y"]].to_numpy(float)
    first = table.iloc[np.unique(position, return_index=True)[1]]
    legs = _Legs(
        view,
        points,
        first[["row_spacing_mm", "col_spacing_mm"]].to_numpy(float),
        first["magnification"].to_numpy(float),
        first["side"].to_numpy(object),
        first["patient_orientation"].to_numpy(object),
    )
    measures = measures_for(view)
    computed: dict[str, FloatArray] = {}
    functions, lookup = legs.functions(), legs.lookup(computed)
    values, reasons, flags = [], [], []
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):  # any finite input
        for measure in measures:
            value = np.asarray(measure.formula.evaluate(lookup, functions), dtype=float)
            reason, ok = _status(legs, measure, value)
            computed[measure.name] = value = np.where(ok, value, np.nan)
            values.append(value)
            reasons.append(reason)
            flags.append(_flags(legs, measure, ok))
    return {
        "leg": np.repeat(legs_here, len(measures)),
        "measure": np.tile(
            pd.Index(list(MEASURES)).get_indexer(pd.Index([m.name for m in measures])), n
        ),
        "value": np.stack(values, axis=1).ravel(),
        "reason": np.stack(reasons, axis=1).ravel(),
        "flags": np.stack(flags, axis=1).ravel(),
    }


def _outlier(abs_deviation: FloatArray, tolerance: FloatArray) -> pd.arrays.BooleanArray:
    unknown = np.isnan(abs_deviation) | np.isnan(tolerance)
    return pd.arrays.BooleanArray(np.nan_to_num(abs_deviation) > np.nan_to_num(tolerance), unknown)


def measure_landmarks(
    table_or_path: pd.DataFrame | str | os.PathLike[str],
    *,
    preset: str | os.PathLike[str] | Preset = "default",
    overrides: Mapping[str, Mapping[str, float]] | None = None,
    orientation: str | None = None,
    implant: bool | None = None,
) -> pd.DataFrame:
    """Measure every landmark set of a table: one row per image x side x view x measure.

    Parameters
    ----------
    table_or_path : pandas.DataFrame or path-like
        A landmark table (see :func:`alignment.landmarks.validate_landmarks`) or a
        landmark file that :func:`alignment.landmarks.read_landmarks` reads.
    preset : str, path-like or Preset, optional
        Targets and tolerances: a built-in preset name (``"default"``,
        ``"knee-society"``), a TOML file, or a loaded :class:`Preset`.
    overrides : mapping, optional
        Per-measure ``{"target": ..., "tolerance": ...}`` on top of the preset.
    orientation : str, optional
        DICOM Patient Orientation (``ROW\\COLUMN``, for example ``"L\\F"``) of every
        image whose table row gives none in ``patient_orientation``. Where it is known
        and the landmarks imply another, the leg's rows are flagged
        ``orientation_conflict`` (the landmarks win). Unknown orientations assume the
        radiological AP display (patient's right on the viewer's left, feet down)
        where the landmarks cannot tell the leg's lateral side.
    implant : bool, optional
        Whether the knees are replaced, for every set whose table row gives no
        ``implant`` (``yes``/``no``). Otherwise a knee is replaced when a lateral film
        of it (same case and side) has femoral-component landmarks
        (:data:`COMPONENT_LANDMARKS`), else unknown. Implant-component targets (FFC,
        FTC, LFC, LTC and the anatomical variants) apply only to replaced knees,
        native targets (mLDFA, MPTA, aLDFA, JLCA) only to native ones: the other
        kind's ``target``, ``tolerance``, deviations and ``outlier`` are empty. An
        unknown knee keeps every target.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`RESULT_COLUMNS`, rows in the order of the table's landmark sets
        then of the registry's measures:

        - ``image, case, reader, side, view``: the landmark set.
        - ``measure``, ``value``, ``unit`` (``deg``, ``mm``, or ``""`` for CPAK, whose
          value is the type number 1-9 and whose ``label`` is ``I``..``IX``).
        - ``target, tolerance`` from the preset (NaN where the measure has none);
          ``deviation = value - target``; ``abs_deviation``; ``outlier`` (nullable
          boolean: ``abs_deviation > tolerance``).
        - ``knee``: ``native``, ``replaced`` or ``""`` (unknown); see `implant`.
        - ``status``: ``ok`` or ``missing``; ``reason``: why a value is missing (the
          landmarks absent, the axis of zero length, or no pixel spacing for a length).
        - ``flags``: ``;``-separated caveats on a computed value: ``no_spacing``
          (angles computed on square pixels), ``lateral_from_orientation`` or
          ``lateral_from_default_orientation`` (a signed measure whose leg frame did
          not come from landmarks), ``orientation_conflict``.
        - ``preset, preset_hash``.

    Notes
    -----
    Every formula runs in millimetres (pixel coordinates times spacing), so
    anisotropic pixels do not bend angles; see ``docs/measures.md`` for the formulas.
    The identity ``hka - 180 = mpta - mldfa - jlca`` holds to floating-point precision.
    Lengths (and ``mad_mm``) are divided by the table's ``magnification`` where given.

    Examples
    --------
    >>> from alignment.landmarks import LandmarkSet, landmark_table
    >>> leg = LandmarkSet("film.dcm", "right", "AP", {
    ...     "femoral_head_center": (100.0, 100.0), "femoral_knee_center": (120.0, 500.0),
    ...     "tibial_knee_center": (120.0, 520.0), "ankle_center": (110.0, 900.0),
    ...     "distal_femur_medial": (150.0, 505.0), "distal_femur_lateral": (90.0, 505.0),
    ... }, spacing_mm=(0.5, 0.5))
    >>> results = measure_landmarks(landmark_table([leg]))
    >>> print(results.set_index("measure").loc[["hka", "mldfa", "mpta"], ["value", "status"]]
    ...       .round(2).to_string())
              value   status
    measure...
    hka      184.37       ok
    mldfa     87.14       ok
    mpta        NaN  missing
    """
    if isinstance(table_or_path, pd.DataFrame):
        table = validate_landmarks(table_or_path)
    else:
        table = read_landmarks(table_or_path)
    return measure_validated(
        table, preset=preset, overrides=overrides, orientation=orientation, implant=implant
    )


def measure_validated(
    table: pd.DataFrame,
    *,
    preset: str | os.PathLike[str] | Preset = "default",
    overrides: Mapping[str, Mapping[str, float]] | None = None,
    orientation: str | None = None,
    implant: bool | None = None,
) -> pd.DataFrame:
    """:func:`measure_landmarks` of a table already checked, without checking it again.

    For a caller that validates each part of a growing table once (the review checks
    a film's points when they are saved) instead of the whole table on every call.

    Parameters
    ----------
    table : pandas.DataFrame
        A table :func:`alignment.landmarks.validate_landmarks` returned (columns may
        be added or dropped after, rows selected); it is not changed.
    preset, overrides, orientation, implant : optional
        As for :func:`measure_landmarks`.

    Returns
    -------
    pandas.DataFrame
        As :func:`measure_landmarks` returns.
    """
    targets = load_preset(preset, overrides=overrides)
    if orientation is not None:
        given = table["patient_orientation"].astype(object)
        table = table.assign(patient_orientation=given.where(given != "", orientation))
    leg = table.groupby(list(KEY_COLUMNS), sort=False).ngroup().to_numpy()
    parts = []
    for view in VIEWS:
        here = (table["view"] == view).to_numpy()
        if here.any():
            parts.append(_measure_view(view, table[here], leg[here]))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in RESULT_COLUMNS})
    joined = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    order = np.argsort(joined["leg"], kind="stable")
    joined = {k: v[order] for k, v in joined.items()}
    _, first_of_leg = np.unique(leg, return_index=True)
    set_rows = first_of_leg[joined["leg"]]
    code = joined["measure"]
    catalogue = list(MEASURES.values())
    preset_targets = [targets.targets.get(m.name) for m in catalogue]
    knee = knee_types(table, leg, implant)[joined["leg"]]
    applies = np.array([m.knee for m in catalogue], dtype=object)[code]
    other_kind = (applies != "") & (knee != "") & (applies != knee)
    target = np.array([t.target if t else np.nan for t in preset_targets])[code]
    tolerance = np.array([t.tolerance if t else np.nan for t in preset_targets])[code]
    target = np.where(other_kind, np.nan, target)
    tolerance = np.where(other_kind, np.nan, tolerance)
    value = joined["value"]
    deviation = value - target
    ok = joined["reason"] == ""
    columns: dict[str, Any] = {c: table[c].array.take(set_rows) for c in RESULT_COLUMNS[:5]}
    columns |= {
        "measure": _coded(code, [m.name for m in catalogue]),
        "value": value,
        "unit": _coded(code, [m.unit for m in catalogue]),
        "target": target,
        "tolerance": tolerance,
        "deviation": deviation,
        "abs_deviation": np.abs(deviation),
        "outlier": _outlier(np.abs(deviation), tolerance),
        "label": _labels(code, value, catalogue),
        "status": _coded(np.where(ok, 0, 1), ["ok", "missing"]),
        "reason": _categorical(joined["reason"]),
        "flags": _categorical(joined["flags"]),
        "preset": _coded(np.zeros(len(code), dtype=int), [targets.name]),
        "preset_hash": _coded(np.zeros(len(code), dtype=int), [targets.hash]),
        "knee": _categorical(knee),
    }
    return pd.DataFrame(columns)


def knee_types(table: pd.DataFrame, leg: NDArray[Any], implant: bool | None) -> NDArray[Any]:
    """``native``, ``replaced`` or ``""`` (unknown) for each landmark set of a table.

    Parameters
    ----------
    table : pandas.DataFrame
        A validated landmark table.
    leg : ndarray of int
        The landmark set of each row, numbered from 0.
    implant : bool or None
        For sets whose ``implant`` column is empty or absent; see
        :func:`measure_landmarks` for the order of the sources.

    Returns
    -------
    ndarray of str, indexed by set number
    """
    n = int(leg.max()) + 1 if len(leg) else 0
    given = np.full(n, "", dtype=object)
    if "implant" in table.columns:
        rows = table["implant"].astype(str).to_numpy()
        given[leg] = np.select([rows == "yes", rows == "no"], ["replaced", "native"], "")
    if implant is not None:
        given[given == ""] = "replaced" if implant else "native"
    components = table["landmark"].astype(str).isin(COMPONENT_LANDMARKS).to_numpy()
    if components.any():  # a knee with component landmarks on its lateral film
        knees = table["case"].astype(str) + "\0" + table["side"].astype(str)
        replaced = np.isin(knees.to_numpy(), knees[components].unique())
        auto = np.zeros(n, dtype=bool)
        auto[leg[replaced]] = True
        given[(given == "") & auto] = "replaced"
    return given


def _categorical(values: NDArray[Any]) -> pd.Categorical:
    """A categorical of `values`, categories in sorted order (factorised once, fast)."""
    codes, uniques = pd.factorize(values, sort=True)
    return pd.Categorical.from_codes(codes, categories=pd.Index(uniques), validate=False)


def _coded(codes: NDArray[Any], names: list[str]) -> pd.Categorical:
    """``names[codes]`` as a categorical, without building the strings row by row."""
    return _categorical(np.asarray(names, dtype=object))[codes]


def _labels(code: NDArray[Any], value: FloatArray, catalogue: list[Measure]) -> pd.Categorical:
    """The label of each classification row (its type number's name), '' elsewhere."""
    names = [""] + [label for m in catalogue for label in m.labels]
    offset = np.cumsum([1] + [len(m.labels) for m in catalogue])[code]
    labelled = np.array([bool(m.labels) for m in catalogue])[code] & ~np.isnan(value)
    number = np.where(labelled, value, 1.0).astype(int)  # only labelled rows are cast
    return _coded(np.where(labelled, offset + number - 1, 0), names)


def to_wide(results: pd.DataFrame) -> pd.DataFrame:
    """One row per image x side x view (x reader), one column per measure.

    Parameters
    ----------
    results : pandas.DataFrame
        The long table of :func:`measure_landmarks`.

    Returns
    -------
    pandas.DataFrame
        Columns ``image, case, reader, side, view``, then one column per measure
        present, in registry order: the value, or the label for a classification
        (``cpak``). Missing values are NaN (their reasons stay in the long table).
    """
    keys = ["image", "case", "reader", "side", "view"]
    cell = results["value"].astype(object).where(results["label"] == "", results["label"])
    leg = results.groupby(keys, sort=False).ngroup().rename("leg")
    wide = cell.groupby([leg, results["measure"]], sort=False).first().unstack("measure")
    columns = [m for m in MEASURES if m in wide.columns]
    identity = results[keys].groupby(leg, sort=False).first()
    wide = identity.join(wide[columns]).reset_index(drop=True)
    wide.columns.name = None
    for name in columns:
        if MEASURES[name].unit:
            wide[name] = pd.to_numeric(wide[name])
    return wide


def flag_review(results: pd.DataFrame, landmarks: pd.DataFrame) -> pd.DataFrame:
    """Add ``review`` to the flags of every result of a leg that detection flagged.

    Parameters
    ----------
    results : pandas.DataFrame
        What :func:`measure_landmarks` returned for `landmarks`.
    landmarks : pandas.DataFrame
        The landmark table measured; a leg (``image, side, view, reader``) with any row
        whose ``review`` column is true (a bool, or the text ``True`` of a CSV) has
        ``review`` appended to the flags of each of its results. Without a ``review``
        column `results` is returned unchanged.

    Returns
    -------
    pandas.DataFrame
        A copy of `results` with the flags completed.

    Examples
    --------
    >>> lm = pd.DataFrame({"image": ["a"] * 2, "side": ["left"] * 2, "view": ["AP"] * 2,
    ...     "landmark": ["femoral_head_center", "femoral_knee_center"],
    ...     "x": [10.0, 12.0], "y": [5.0, 400.0], "review": [True, True]})
    >>> out = flag_review(measure_landmarks(lm), validate_landmarks(lm))
    >>> sorted(set(out["flags"].astype(str)))[-1]
    'review'
    """
    if "review" not in landmarks.columns or results.empty:
        return results
    keys = ["image", "side", "view", "reader"]
    marked = landmarks.loc[landmarks["review"].astype(str).str.lower() == "true", keys]
    if marked.empty:
        return results
    flagged = pd.MultiIndex.from_frame(marked.astype(str).drop_duplicates())
    hit = pd.MultiIndex.from_frame(results[keys].astype(str)).isin(flagged)
    flags = results["flags"].astype(str).to_numpy()
    review = np.where(flags == "", "review", flags + ";review")
    out = results.copy()
    out["flags"] = pd.Categorical(np.where(hit, review, flags))
    return out
