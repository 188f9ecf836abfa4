"""``python -m scission_opt``."""

import sys

from .cli import main

sys.exit(main())
