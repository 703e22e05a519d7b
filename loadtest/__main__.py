"""python -m loadtest: see loadtest/cli.py, or run it with --help."""

import sys

from loadtest.cli import main

if __name__ == "__main__":
    sys.exit(main())
