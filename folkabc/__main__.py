"""``python -m folkabc`` runs the ``folkabc`` command line."""

import sys

from .cli import main

sys.exit(main())
