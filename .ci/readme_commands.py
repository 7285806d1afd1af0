"""Print the README's set-up commands, one per line (the first two ```bash blocks).

CI runs exactly these, so the README cannot drift from what is tested.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

text = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md").read_text(encoding="utf-8")
blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)[:2]
for block in blocks:
    lines = [ln for ln in block.strip().splitlines() if ln.strip()]
    if len(lines) != 1:
        sys.exit(f"a set-up block must hold exactly one command, got {lines!r}")
    print(lines[0])
