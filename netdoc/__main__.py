"""`python -m netdoc` is the `netdoc` command."""
import sys

from netdoc.app.cli import main

sys.exit(main())
