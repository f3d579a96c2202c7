import sys

from upgrading.cli import main

sys.exit(main())
