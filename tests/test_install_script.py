"""scripts/install.sh, with a stand-in Python that records each call instead of running
it: which pip calls the script makes, and with which options (the real install runs at
the start of every `make test` in a fresh clone, and in CI)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from support import ROOT

SCRIPT = ROOT / "scripts" / "install.sh"


def fake_python(path: Path, log: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'#!/usr/bin/env bash\necho "$*" >> "{log}"\n', encoding="utf-8")
    path.chmod(0o755)
    return path


def install(tmp_path: Path, **settings: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run the script with a venv whose Python only records its arguments."""
    log = tmp_path / "calls.log"
    venv = tmp_path / "venv"
    python = fake_python(venv / "bin" / "python", log)
    env = {key: value for key, value in os.environ.items()
           if key not in ("COMPILE", "PYTHONDONTWRITEBYTECODE")}
    env.update(VENV=str(venv), PYTHON=str(python), **settings)
    proc = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True,
                          timeout=60)
    calls = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return proc, calls


def lock_installs(calls: list[str]) -> list[str]:
    return [c for c in calls if c.startswith("-m pip install") and "--require-hashes" in c]


@pytest.mark.parametrize("setting, flag", [
    ({}, "--no-compile"), ({"COMPILE": ""}, "--no-compile"), ({"COMPILE": "0"}, "--no-compile"),
    ({"COMPILE": "1"}, "--compile"),
    # Python keeps no bytecode: every process would compile again.
    ({"PYTHONDONTWRITEBYTECODE": "1"}, "--compile"),
    ({"PYTHONDONTWRITEBYTECODE": "1", "COMPILE": "0"}, "--no-compile")])
def test_the_lock_is_installed_with_bytecode_compiled_only_when_asked(tmp_path, setting, flag):
    proc, calls = install(tmp_path, **setting)
    assert proc.returncode == 0, proc.stderr
    installs = lock_installs(calls)
    assert len(installs) == 2  # TensorFlow's pip and the rest's, side by side
    assert all(f" {flag} " in f" {c} " for c in installs), installs


@pytest.mark.parametrize("value", ["oui", "2", "01"])
def test_another_compile_value_stops_before_anything_is_done(tmp_path, value):
    proc, calls = install(tmp_path, COMPILE=value)
    assert proc.returncode == 2
    assert f"Erreur : COMPILE vaut 0 ou 1, pas « {value} »." in proc.stderr
    assert calls == []
