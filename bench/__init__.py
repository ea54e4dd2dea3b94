"""Benchmarks of the project (`python -m bench`, `make bench`): not part of the tests.

One run measures the site build (cold with one training process and with the default
pool, alternated; warm; plugin disabled), every example's full training, MNIST
throughput against the machine's measured peak (on TensorFlow also with one step per
call, as before issue 14), the package's overhead against a plain Keras script, on each
installed Keras backend. It writes
bench/results/latest.json (git-ignored) and bench/resultats.md, the French tables that
docs/performances.md includes.
"""
