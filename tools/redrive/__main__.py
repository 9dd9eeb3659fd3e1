import sys

from tools.redrive.cli import main

sys.exit(main())
