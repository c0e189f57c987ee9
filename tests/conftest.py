"""Settings for the whole test suite (pytest reads this before it imports any test module)."""
import os

# Loops are compiled only when a run waits for them (solvers._tiers, "demand"): most of the
# suite's solves are short and finish in the interpreted twin, whose numbers are the compiled
# loop's bit for bit (tests/test_interpreted_start.py checks that for every method, and the
# runs long enough to wait still go compiled). Compiling every loop the suite touches took
# three quarters of its time. Set NEURODYN_BACKGROUND_COMPILE=1 to run it as users do.
os.environ.setdefault("NEURODYN_BACKGROUND_COMPILE", "demand")
