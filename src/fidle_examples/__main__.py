"""`python -m fidle_examples` is the same as the `fidle-examples` command."""

import sys

from fidle_examples.cli import main

sys.exit(main())
