"""Statistics on the long results table: groups, outliers, equivalence, reliability.

Every function takes a long-format table plus column names and returns a tidy
DataFrame whose columns its docstring lists, in one vocabulary across the module
(``n1``, ``mean1``, ``sd1``, ``mean_diff``, ``ci_low``, ``ci_high``, ``statistic``,
``df``, ``p_value``, ``notes`` ...). Test statistics come from scipy and statsmodels;
every warning they raise is recorded in the ``notes`` of the row it concerns. See
``docs/stats.md`` for the choices made where the methods leave room.

Modules: :mod:`~alignment.stats.groups` (:func:`compare_groups`),
:mod:`~alignment.stats.outliers`, :mod:`~alignment.stats.equivalence` (TOST),
:mod:`~alignment.stats.noninferiority`, :mod:`~alignment.stats.ancova` (adjusted
differences), :mod:`~alignment.stats.power` (power and
sample size),
:mod:`~alignment.stats.followup` (clinical scores over time),
:mod:`~alignment.stats.reliability` (ICC, SEM, MDC95, Bland-Altman),
:mod:`~alignment.stats.agreement` (Lin's CCC, Cohen's kappa, proportional bias),
:mod:`~alignment.stats.summary` (published tables) and
:mod:`~alignment.stats.tables` (CSV, Markdown, LaTeX, HTML).
"""

from __future__ import annotations

from alignment.stats.agreement import (
    KAPPA_WEIGHTS,
    cohen_kappa,
    concordance_correlation,
    proportional_bias,
)
from alignment.stats.ancova import ANCOVA_COLUMNS, ancova
from alignment.stats.equivalence import (
    EQUIVALENCE_COLUMNS,
    equivalence_test,
    margin_bounds,
    tost,
)
from alignment.stats.followup import (
    FOLLOWUP_COLUMNS,
    between_groups_by_time,
    change_from_baseline,
    followup_analysis,
    followup_model,
)
from alignment.stats.groups import COMPARE_COLUMNS, adjust_p_values, compare_groups
from alignment.stats.noninferiority import (
    NONINFERIORITY_COLUMNS,
    non_inferiority,
    noninferiority_mean,
    noninferiority_rate,
)
from alignment.stats.outliers import OUTLIER_COLUMNS, outlier_rates
from alignment.stats.power import (
    POWER_COLUMNS,
    POWER_TESTS,
    pilot_power,
    power_analysis,
    power_fisher,
    power_proportions,
    power_tost,
    power_welch,
)
from alignment.stats.reliability import (
    BLAND_ALTMAN_COLUMNS,
    ICC_COLUMNS,
    PAIRED_COLUMNS,
    RELIABILITY_COLUMNS,
    REPLICATED_COLUMNS,
    bland_altman,
    icc,
    icc_replicated,
    paired_ratings,
    reliability,
)
from alignment.stats.summary import (
    SUMMARY_COLUMNS,
    grim_consistent,
    parse_reported_p,
    summary_ttests,
)
from alignment.stats.tables import (
    FORMATS,
    format_mean_sd,
    format_p,
    publication_table,
    read_table,
    render_table,
    table_format,
    write_table,
)

__all__ = [
    "adjust_p_values",
    "ancova",
    "between_groups_by_time",
    "bland_altman",
    "change_from_baseline",
    "cohen_kappa",
    "compare_groups",
    "concordance_correlation",
    "equivalence_test",
    "followup_analysis",
    "followup_model",
    "format_mean_sd",
    "format_p",
    "grim_consistent",
    "icc",
    "icc_replicated",
    "margin_bounds",
    "non_inferiority",
    "noninferiority_mean",
    "noninferiority_rate",
    "outlier_rates",
    "paired_ratings",
    "parse_reported_p",
    "pilot_power",
    "power_analysis",
    "power_fisher",
    "power_proportions",
    "power_tost",
    "power_welch",
    "proportional_bias",
    "publication_table",
    "read_table",
    "reliability",
    "render_table",
    "summary_ttests",
    "table_format",
    "tost",
    "write_table",
    "ANCOVA_COLUMNS",
    "BLAND_ALTMAN_COLUMNS",
    "COMPARE_COLUMNS",
    "EQUIVALENCE_COLUMNS",
    "FOLLOWUP_COLUMNS",
    "FORMATS",
    "ICC_COLUMNS",
    "KAPPA_WEIGHTS",
    "NONINFERIORITY_COLUMNS",
    "OUTLIER_COLUMNS",
    "PAIRED_COLUMNS",
    "POWER_COLUMNS",
    "POWER_TESTS",
    "RELIABILITY_COLUMNS",
    "REPLICATED_COLUMNS",
    "SUMMARY_COLUMNS",
]
