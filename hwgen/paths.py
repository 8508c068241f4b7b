"""Where the repository's non-Python parts live (kernels, boards). hwgen is used from its checkout."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
KERNELS_DIR = REPO_ROOT / "kernels"
BOARDS_DIR = REPO_ROOT / "boards"
