"""Every measure of the spec, defined once, as data.

The registry is the single source for the engine, the docs table
(``docs/measures.md``), the ``alignment measures`` listing and the columns of the wide
results. Each :class:`Measure` carries its formula in the spec's notation; the names
a formula reads are axes (:data:`AXES`), points (:data:`POINTS`), other measures, or
``magnification``, and its landmarks follow from them.

Targets and tolerances are not here: they come from presets
(:mod:`alignment.measures.presets`), whose ``default`` holds the spec's defaults.

Examples
--------
>>> MEASURES["mldfa"].formula.text
'angle(jF, -dF)'
>>> MEASURES["mldfa"].landmarks
('distal_femur_medial', 'distal_femur_lateral', 'femoral_head_center', 'femoral_knee_center')
>>> [m.name for m in measures_for("LAT")]
['lfc', 'ltc', 'femoral_component_flexion', 'posterior_slope']
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from alignment.measures.formula import Formula
from alignment.vocabulary import LANDMARKS, View

__all__ = [
    "AXES",
    "FALLBACKS",
    "FRAME_FUNCTIONS",
    "MEASURES",
    "POINTS",
    "Axis",
    "Measure",
    "Point",
    "measures_for",
]

Unit = Literal["deg", "mm", ""]


@dataclass(frozen=True)
class Axis:
    """A vector from one landmark to another, in mm."""

    start: str
    end: str
    meaning: str

    @property
    def landmarks(self) -> tuple[str, str]:
        return (self.start, self.end)


@dataclass(frozen=True)
class Point:
    """A point derived from landmarks: the mean of `landmarks`."""

    landmarks: tuple[str, ...]
    meaning: str


AXES: dict[str, Axis] = {
    "dF": Axis("femoral_head_center", "femoral_knee_center", "femoral mechanical axis"),
    "dT": Axis("tibial_knee_center", "ankle_center", "tibial mechanical axis"),
    "aF": Axis("femoral_shaft_proximal", "femoral_shaft_distal", "femoral anatomical axis"),
    "aT": Axis("tibial_shaft_proximal", "tibial_shaft_distal", "tibial anatomical axis"),
    "jF": Axis("distal_femur_medial", "distal_femur_lateral", "femoral joint line"),
    "jT": Axis("tibial_plateau_medial", "tibial_plateau_lateral", "tibial joint line"),
    "mA": Axis("femoral_head_center", "ankle_center", "limb mechanical axis (hip to ankle)"),
    "cF": Axis(
        "femoral_component_anterior",
        "femoral_component_posterior",
        "femoral component fixation line",
    ),
    "cT": Axis("tibial_plateau_posterior", "tibial_plateau_anterior", "tibial tray line"),
}
"""Axes the formulas read, by their symbol in the spec."""

POINTS: dict[str, Point] = {
    "knee": Point(
        ("femoral_knee_center", "tibial_knee_center"),
        "knee centre: midpoint of the femoral and tibial knee centres",
    ),
}
"""Derived points the formulas read."""

FALLBACKS: dict[str, str] = {
    "femoral_knee_center": "knee_center",
    "tibial_knee_center": "knee_center",
}
"""A missing landmark (key) is taken from another (value) when that one is given."""

FRAME_FUNCTIONS = frozenset({"turn", "dir", "offset"})
"""Functions whose result depends on the leg's anatomical frame (signed quantities)."""


@dataclass(frozen=True)
class Measure:
    """One measure of the spec.

    Attributes
    ----------
    name : str
        Column and row name, snake_case; lengths end in ``_mm``.
    view : {'AP', 'LAT'}
    formula : Formula
        In the spec's notation; see :mod:`alignment.measures.formula`.
    unit : {'deg', 'mm', ''}
        ``''`` for a classification (its value is a type number, see `labels`).
    meaning : str
    sign : str
        The sign convention: what a larger or a negative value means.
    normal : str
        The normal range, as the literature gives it; empty where none applies.
    labels : tuple of str
        For a classification, the label of each type number starting at 1.
    landmarks : tuple of str
        Every landmark the formula needs, directly or through other measures
        (filled in by the registry).
    depends_on : tuple of str
        The other measures the formula reads (filled in by the registry).
    signed : bool
        Whether the value depends on the leg's anatomical frame (filled in).
    """

    name: str
    view: View
    formula: Formula
    unit: Unit
    meaning: str
    sign: str
    normal: str = ""
    labels: tuple[str, ...] = ()
    landmarks: tuple[str, ...] = field(default=(), compare=False)
    depends_on: tuple[str, ...] = field(default=(), compare=False)
    signed: bool = field(default=False, compare=False)
    knee: Literal["", "native", "replaced"] = field(default="", compare=False)
    """The knee type the measure's target applies to: ``""``
    for every knee; ``"native"`` for bone angles whose normal value a prosthesis does not
    aim at (mLDFA, MPTA, aLDFA, JLCA); ``"replaced"`` for implant-component angles
    (FFC, FTC, LFC, LTC and the anatomical variants)."""


def _m(name: str, view: View, formula: str, unit: Unit, meaning: str, sign: str, **kw: object):
    return Measure(name, view, Formula(formula), unit, meaning, sign, **kw)  # type: ignore[arg-type]


_CPAK_LABELS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX")

_DEFINITIONS: tuple[Measure, ...] = (
    _m("hka", "AP", "180 + turn(dF, dT)", "deg",
       "hip-knee-ankle angle, medial side",
       "< 180 varus, > 180 valgus", normal="177-183"),
    _m("fta", "AP", "180 - turn(aF, aT)", "deg",
       "femorotibial (anatomical) angle, lateral side",
       "larger = more varus (about 174-176 in a normal knee)", normal="174-176"),
    _m("mldfa", "AP", "angle(jF, -dF)", "deg",
       "mechanical lateral distal femoral angle", "unsigned", normal="85-90", knee="native"),
    _m("mpta", "AP", "angle(-jT, dT)", "deg",
       "medial proximal tibial angle", "unsigned", normal="85-90", knee="native"),
    _m("aldfa", "AP", "angle(jF, -aF)", "deg",
       "anatomical lateral distal femoral angle", "unsigned", normal="79-83", knee="native"),
    _m("jlca", "AP", "dir(jT) - dir(jF)", "deg",
       "joint line convergence angle",
       "+ = joint lines open laterally", normal="0-2", knee="native"),
    _m("ama", "AP", "angle(dF, aF)", "deg",
       "femoral anatomical-mechanical angle", "unsigned", normal="4-7"),
    _m("ffc", "AP", "angle(-jF, -dF)", "deg",
       "frontal femoral component angle: medial angle between the femoral mechanical axis "
       "and the component's condylar line (= 180 - mldfa)",
       "< 90 varus, > 90 valgus component", knee="replaced"),
    _m("ftc", "AP", "angle(-jT, dT)", "deg",
       "frontal tibial component angle: medial angle between the tibial mechanical axis "
       "and the tray (= mpta)",
       "< 90 varus, > 90 valgus component", knee="replaced"),
    _m("ffc_anatomical", "AP", "angle(-jF, -aF)", "deg",
       "Knee Society alpha: medial angle between the femoral anatomical axis and the "
       "component's condylar line",
       "unsigned", knee="replaced"),
    _m("ftc_anatomical", "AP", "angle(-jT, aT)", "deg",
       "Knee Society beta: medial angle between the tibial anatomical axis and the tray",
       "unsigned", knee="replaced"),
    _m("ahka", "AP", "mpta - mldfa", "deg",
       "arithmetic hip-knee-ankle angle (MacDessi)", "negative = varus"),
    _m("jlo", "AP", "mpta + mldfa", "deg",
       "joint line obliquity (MacDessi)", "< 177 apex distal, > 183 apex proximal"),
    _m("cpak", "AP", "cpak(ahka, jlo)", "",
       "coronal plane alignment of the knee type I-IX (MacDessi 2021): aHKA varus < -2, "
       "neutral -2..2, valgus > 2; JLO apex distal < 177, neutral 177..183, apex proximal "
       "> 183; bounds inclusive on the neutral side",
       "type number 1-9 in value, roman numeral in label", labels=_CPAK_LABELS),
    _m("mad_mm", "AP", "offset(knee, mA) / magnification", "mm",
       "mechanical axis deviation: distance of the knee centre from the hip-ankle line",
       "+ = knee lateral of the line (the line passes medial to the knee)",
       normal="8 +- 7 mm medial (Paley)"),
    _m("femur_length_mm", "AP", "length(dF) / magnification", "mm",
       "femoral mechanical length", "unsigned"),
    _m("tibia_length_mm", "AP", "length(dT) / magnification", "mm",
       "tibial mechanical length", "unsigned"),
    _m("lfc", "LAT", "angle(cF, -aF)", "deg",
       "lateral femoral component angle (Petersen-Engh)",
       "90 neutral, < 90 flexion, > 90 extension", knee="replaced"),
    _m("ltc", "LAT", "angle(cT, -aT)", "deg",
       "lateral tibial component angle", "90 neutral, < 90 posterior slope", knee="replaced"),
    _m("femoral_component_flexion", "LAT", "90 - lfc", "deg",
       "sagittal flexion of the femoral component", "+ = flexion"),
    _m("posterior_slope", "LAT", "90 - ltc", "deg",
       "posterior slope of the tibial component (native: plateau)", "+ = posterior slope"),
)  # fmt: skip


def _resolve(definitions: tuple[Measure, ...]) -> dict[str, Measure]:
    """Fill in each measure's landmarks, dependencies and signedness, checking names."""
    resolved: dict[str, Measure] = {}
    for measure in definitions:
        landmarks: list[str] = []
        depends: list[str] = []
        signed = bool(measure.formula.functions & FRAME_FUNCTIONS)
        for name in sorted(measure.formula.names, key=measure.formula.text.index):
            if name in AXES:
                landmarks += AXES[name].landmarks
            elif name in POINTS:
                landmarks += POINTS[name].landmarks
            elif name in resolved:
                depends.append(name)
                landmarks += resolved[name].landmarks
                signed |= resolved[name].signed
            elif name != "magnification":
                raise ValueError(f"measure {measure.name}: unknown name {name!r} in formula")
        unique = tuple(dict.fromkeys(landmarks))
        foreign = set(unique) - set(LANDMARKS[measure.view])
        if foreign:
            raise ValueError(f"measure {measure.name}: not {measure.view} landmarks: {foreign}")
        resolved[measure.name] = replace(
            measure, landmarks=unique, depends_on=tuple(depends), signed=signed
        )
    return resolved


MEASURES: dict[str, Measure] = _resolve(_DEFINITIONS)
"""Every measure, by name, in the spec's order (AP first, then LAT)."""


def measures_for(view: View) -> tuple[Measure, ...]:
    """The measures of one view, in registry order."""
    return tuple(m for m in MEASURES.values() if m.view == view)
