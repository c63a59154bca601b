"""``python -m alignment``: the same as the ``alignment`` command."""

import sys

from alignment.cli import main

sys.exit(main())
