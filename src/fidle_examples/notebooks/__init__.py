"""Notebooks generated from the examples and the pages: `python -m fidle_examples.notebooks`."""
