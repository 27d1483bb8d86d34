"""`python -m hinge` runs the command line."""
import sys

from hinge.cli import main

sys.exit(main())
