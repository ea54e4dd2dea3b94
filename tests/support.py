"""Helpers shared by the test modules (conftest.py is not importable by name:
tests/browser has its own)."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, env: dict | None = None, cwd: Path | None = None,
            timeout: float = 600) -> subprocess.CompletedProcess:
    """`python -m fidle_examples ARGS` in a subprocess, as a user would run it."""
    return subprocess.run(
        [sys.executable, "-m", "fidle_examples", *args], capture_output=True, text=True,
        env={**os.environ, **(env or {})}, cwd=cwd, timeout=timeout)


# urlopen() keeps the first opener it builds, with the proxies of the environment
# at that moment: after an offline test pointed http_proxy at a dead port, every
# later urlopen() in the session would go through it. Local servers need none.
_LOCAL_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def open_local(url: str, timeout: float):
    """urlopen for a server on this machine, never through a proxy."""
    return _LOCAL_OPENER.open(url, timeout=timeout)


def load_hook(name: str):
    """A MkDocs hook of overrides/hooks/, imported from its file (it is no package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, ROOT / "overrides" / "hooks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
