"""Measures of the spec: the registry, target presets and the vectorised engine."""

from alignment.measures.catalogue import catalogue_markdown, measure_catalogue
from alignment.measures.engine import (
    RESULT_COLUMNS,
    flag_review,
    measure_landmarks,
    measure_validated,
    to_wide,
)
from alignment.measures.presets import Preset, Target, builtin_presets, load_preset
from alignment.measures.registry import AXES, MEASURES, Measure, measures_for

__all__ = [
    "AXES",
    "MEASURES",
    "RESULT_COLUMNS",
    "Measure",
    "Preset",
    "Target",
    "builtin_presets",
    "catalogue_markdown",
    "flag_review",
    "load_preset",
    "measure_catalogue",
    "measure_landmarks",
    "measure_validated",
    "measures_for",
    "to_wide",
]
