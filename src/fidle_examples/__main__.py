"""`python -m fidle_examples` is the same as the `fidle-examples` command."""

from fidle_examples.cli import entry

entry()
