"""``python -m dfdx``: the `dfdx` command (see `dfdx.cli`)."""

import sys

from dfdx.cli import main

if __name__ == "__main__":
    sys.exit(main())
