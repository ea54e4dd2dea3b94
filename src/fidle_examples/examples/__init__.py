"""One module per example, all of the same shape (see core/contract.py): NAME, DATASETS,
Config, PROFILES, METRICS, FIGURES, run(config, ctx) and one figure_<key> per figure.

Lesson code used by several examples lives in lesson modules, which are not examples
(no NAME, no run()): line_fitting (points around a line, the normal equation) and
mnist_dense (MNIST subsets, the dense network of MNIST1).

The code shown on the site is taken from these files, between
`# --8<-- [start:NAME]` and `# --8<-- [end:NAME]` markers (pymdownx.snippets).
"""
