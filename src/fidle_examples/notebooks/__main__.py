"""`python -m fidle_examples.notebooks` (re)writes docs/carnets/*.ipynb."""

import sys

from fidle_examples.notebooks.generate import main

sys.exit(main())
