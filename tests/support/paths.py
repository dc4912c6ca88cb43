"""Where things are, for a test in any folder: the checkout, the test data (``tests/data/``, which stays at the top
of ``tests/`` so the benchmarks and data scripts read it too) and the screenshots a browser test keeps."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
ARTIFACTS = ROOT / "tests" / "artifacts"  # git-ignored; CI keeps it
