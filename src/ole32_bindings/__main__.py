"""``python -m ole32_bindings``: see :mod:`ole32_bindings.cli`."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
