"""Benchmarks of neurodyn against its peers (SciPy, numbalsoda, diffrax) on the workloads
defined in WORKLOADS.md. Run the scripts directly, e.g. ``python benchmarks/bench_w1.py``;
see benchmarks/README.md."""
