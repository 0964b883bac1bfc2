"""``python -m crashcompat.validation [README.md]``: regenerate the README's validation block
from the bundled set (:func:`crashcompat.validation.runner.write_readme`)."""

import sys

from crashcompat.validation.runner import write_readme

write_readme(sys.argv[1] if len(sys.argv) > 1 else "README.md")
