"""``python -m ecsdeploy``: see :mod:`ecsdeploy.cli`."""

import sys

from ecsdeploy.cli import main

sys.exit(main())
