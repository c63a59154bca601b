"""``python -m alignment``: the same as the ``alignment`` command."""

import sys

from alignment.cli import main

if __name__ == "__main__":  # not when a worker process re-imports the main module
    sys.exit(main())
