"""`python -m sweepdeck` is the `sweepdeck` command."""

import sys

from sweepdeck.engine.cli import main

sys.exit(main())
