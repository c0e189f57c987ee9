"""Command line: ``python -m neurodyn demo [--out FILE] [--no-plot] [--t-end T]``."""
from __future__ import annotations

import argparse
import sys


def main(argv=None):
    """Entry point of ``python -m neurodyn`` and the ``neurodyn`` script.

    >>> main(["demo", "--no-plot", "--t-end", "150"])  # doctest: +ELLIPSIS
    neurodyn demo: ...
    0
    """
    parser = argparse.ArgumentParser(prog="neurodyn", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="Beer's two-neuron CTRNN oscillator: integrate, print, plot")
    demo.add_argument("--out", default="neurodyn_demo.png", help="PNG to write")
    demo.add_argument("--no-plot", action="store_true", help="skip the figure")
    demo.add_argument("--t-end", type=float, default=300.0, help="integration horizon")
    args = parser.parse_args(argv)
    if args.command == "demo":
        from .demo import run_demo

        run_demo(out=args.out, t_end=args.t_end, plot=not args.no_plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
