"""``python -m weightinit``: the same as the ``weightinit`` command."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
