"""Engine tests. Shared builders live in ``engine_factories`` (policy YAML, random profiles).

The folder is put on ``sys.path`` so ``from engine_factories import ...`` works under
any pytest import mode.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = str(Path(__file__).parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
