"""Benchmarks of the project (`python -m bench`, `make bench`): not part of the tests.

One run measures the site build (cold, warm, plugin disabled), every example's full
training, MNIST throughput against the machine's measured peak, the package's overhead
against a plain Keras script, on each installed Keras backend. It writes
bench/results/latest.json (git-ignored) and bench/resultats.md, the French tables that
docs/performances.md includes.
"""
