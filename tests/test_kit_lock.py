"""The kit's own lock (scripts/make_kit.py): every wheel it carries has its hash, from the
committed lock or, for a wheel built or fetched apart, from the file itself."""

from __future__ import annotations

import hashlib
import importlib.util
import sys

import pytest

from support import ROOT

spec = importlib.util.spec_from_file_location("make_kit", ROOT / "scripts" / "make_kit.py")
make_kit = importlib.util.module_from_spec(spec)
sys.modules.setdefault("make_kit", make_kit)
spec.loader.exec_module(make_kit)

LOCK = ("# header\n"
        "absl-py==2.5.1 \\\n    --hash=sha256:" + "a" * 64 + " \\\n    --hash=sha256:" + "b" * 64 + "\n"
        "numpy==2.3.0 \\\n    --hash=sha256:" + "c" * 64 + "\n")


def _wheel(folder, name, content=b"wheel"):
    (folder / name).write_bytes(content)
    return hashlib.sha256(content).hexdigest()


def test_lock_entries_read_versions_and_hashes():
    entries = make_kit.lock_entries(LOCK)
    assert entries == {"absl-py": ("2.5.1", ["a" * 64, "b" * 64]), "numpy": ("2.3.0", ["c" * 64])}


def test_kit_lock_keeps_the_committed_hashes_and_adds_the_kits_own(tmp_path):
    own = _wheel(tmp_path, "absl_py-2.5.1-py3-none-any.whl")
    pip = _wheel(tmp_path, "pip-26.3-py3-none-any.whl", b"pip")
    _wheel(tmp_path, "fidle_examples-0.1.0-py3-none-any.whl", b"projet")
    text = make_kit.kit_lock(LOCK, tmp_path)
    entries = make_kit.lock_entries(text)
    assert entries["absl-py"] == ("2.5.1", sorted(["a" * 64, "b" * 64, own]))
    assert entries["pip"] == ("26.3", [pip])
    assert "numpy" not in entries and "fidle-examples" not in entries  # not in the kit


def test_kit_lock_refuses_a_wheel_of_another_version(tmp_path):
    _wheel(tmp_path, "numpy-2.4.0-cp311-cp311-manylinux_2_28_x86_64.whl")
    with pytest.raises(SystemExit, match="numpy==2.3.0"):
        make_kit.kit_lock(LOCK, tmp_path)


def test_the_committed_lock_reads_back_with_every_hash():
    entries = make_kit.lock_entries((ROOT / "requirements.lock").read_text(encoding="utf-8"))
    assert entries["tensorflow"][0] and all(len(h) == 64 for _, hs in entries.values() for h in hs)
    assert all(hs for _, hs in entries.values())
