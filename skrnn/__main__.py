"""``python -m skrnn``: the command line of :mod:`skrnn.cli`."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
