"""Exit codes of the ``alignment`` command, the same for every sub-command."""

from __future__ import annotations

OK = 0
"""Everything asked for was done."""
COMPLETED_WITH_ERRORS = 1
"""The command finished, but some inputs failed; see its error rows."""
USAGE_ERROR = 2
"""The command line itself is wrong (argparse's own code)."""
INPUT_ERROR = 3
"""An input could not be used (missing file, malformed table, unknown preset...)."""
INTERNAL_ERROR = 4
"""An unexpected error: a bug to report."""
INTERRUPTED = 130
"""Stopped by Ctrl-C (SIGINT): 128 + 2, as a shell reports it."""
TERMINATED = 143
"""Stopped by SIGTERM: 128 + 15. A batch stops as on Ctrl-C (what finished is kept)."""

EPILOG = f"""exit codes:
  {OK}    success
  {COMPLETED_WITH_ERRORS}    completed, but some inputs failed (see the error rows)
  {USAGE_ERROR}    usage error
  {INPUT_ERROR}    an input could not be used (one line on stderr says which and why)
  {INTERNAL_ERROR}    unexpected internal error (a bug; --debug shows the traceback)
  {INTERRUPTED}  interrupted (Ctrl-C)
  {TERMINATED}  terminated (SIGTERM)"""
