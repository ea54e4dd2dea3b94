"""Helpers shared by the test modules (conftest.py is not importable by name:
tests/browser has its own)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, env: dict | None = None, cwd: Path | None = None,
            timeout: float = 600) -> subprocess.CompletedProcess:
    """`python -m fidle_examples ARGS` in a subprocess, as a user would run it."""
    return subprocess.run(
        [sys.executable, "-m", "fidle_examples", *args], capture_output=True, text=True,
        env={**os.environ, **(env or {})}, cwd=cwd, timeout=timeout)
