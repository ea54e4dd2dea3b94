"""`fidle-examples doctor` on this machine's installation: once as a user runs it (a
subprocess), then in this process for the messages of each damaged case."""

from __future__ import annotations

import re

import pytest

from support import ROOT, run_cli
from fidle_examples import cli, doctor
from fidle_examples.core import datasets

NBSP = "\u00a0"


def _line(out: str, topic: str) -> str:
    """The report line of one check, and its « À faire » line if any."""
    lines = out.splitlines()
    for i, line in enumerate(lines):
        if re.match(rf"\[[^\]]+\] {re.escape(topic)}{NBSP}:", line):
            follow = lines[i + 1] if i + 1 < len(lines) and lines[i + 1].startswith("    →") else ""
            return line + "\n" + follow
    raise AssertionError(f"pas de ligne « {topic} » dans :\n{out}")


@pytest.fixture(scope="module")
def healthy():
    """doctor on the test session's installation (the shared datasets, intact)."""
    return run_cli("doctor", "--offline", cwd=ROOT)


def test_exits_zero_with_the_shared_datasets(healthy):
    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    assert "0 problème(s) bloquant(s)" in healthy.stdout
    assert "Tout est prêt pour lancer les exemples." in healthy.stdout


def test_reports_every_check(healthy):
    out = healthy.stdout
    for topic in ("Python", "Paquets", "Keras", "GPU", "Cache des résultats", "Espace disque"):
        _line(out, topic)
    for dataset in doctor.declared_datasets():
        assert "[ok]" in _line(out, f"Données {dataset.fname}")
    assert {d.fname for d in doctor.declared_datasets()} >= {"mnist.npz", "winequality-red.csv"}
    # This venv is installed from the lock: every package in its exact version.
    assert "dans la version exacte de" in _line(out, "Paquets")
    assert re.search(r"moteur de calcul (tensorflow|jax|torch)", _line(out, "Keras"))


def _remove(keras_home, name):
    (keras_home / "datasets" / name).unlink()


def _doctor(capsys, monkeypatch, *args: str) -> tuple[int, str]:
    """`fidle-examples doctor ARGS` in this process, from the project's folder (its lock);
    KERAS_HOME is the test's (the keras_home fixture)."""
    monkeypatch.chdir(ROOT)
    code = cli.main(["doctor", *args])
    return code, capsys.readouterr().out


def test_missing_dataset_blocks_offline(keras_home, capsys, monkeypatch):
    _remove(keras_home, "winequality-red.csv")
    code, out = _doctor(capsys, monkeypatch, "--offline")
    assert code == 1, out
    line = _line(out, "Données winequality-red.csv")
    assert line.startswith("[BLOQUANT]")
    assert "absent de" in line and "hors ligne" in line
    assert f"→ À faire{NBSP}: Copiez winequality-red.csv" in line
    assert datasets.WINE_RED.sha256 in line  # the hash the copy must have
    assert "[ok]" in _line(out, "Données mnist.npz")
    assert "1 problème(s) bloquant(s)" in out
    assert "Corrigez les problèmes bloquants" in out


def test_corrupted_dataset_blocks(keras_home, capsys, monkeypatch):
    path = keras_home / "datasets" / "mnist.npz"
    path.chmod(0o644)
    path.write_bytes(path.read_bytes()[:1000])  # a truncated download
    code, out = _doctor(capsys, monkeypatch)
    assert code == 1, out
    line = _line(out, "Données mnist.npz")
    assert line.startswith("[BLOQUANT]") and "corrompu ou incomplet" in line
    assert "Remplacez-le par une copie intacte" in line


def test_missing_dataset_is_only_a_warning_when_its_origin_answers(keras_home, monkeypatch):
    _remove(keras_home, "mnist.npz")
    monkeypatch.setattr(doctor, "_reachable", lambda url, timeout=2.0: True)
    check = doctor.check_dataset(datasets.MNIST, offline=False)
    assert check.status is doctor.Status.WARNING and "sera téléchargé" in check.message
    assert doctor.check_dataset(datasets.MNIST, offline=True).status is doctor.Status.BLOCKING


def test_versions_other_than_the_lock_are_a_warning(tmp_path):
    import keras

    lock = tmp_path / "requirements.lock"
    lock.write_text("# a comment\nkeras==0.0.1\nnot-installed-anywhere==1.0\n", encoding="utf-8")
    check = doctor.check_packages(lock)
    assert check.status is doctor.Status.WARNING
    assert f"keras {keras.__version__} au lieu de 0.0.1" in check.message
    assert "not-installed" not in check.message


def test_without_a_lock_the_comparison_is_skipped_with_a_reason(tmp_path):
    check = doctor.check_packages(tmp_path / "absent.lock")
    assert check.status is doctor.Status.OK and "versions non comparées" in check.message


def test_cache_size_and_an_unusable_cache(tmp_path):
    cache = tmp_path / "cache"
    (cache / "mnist").mkdir(parents=True)
    (cache / "mnist" / "result.json").write_bytes(b"x" * 3 * 2**20)
    check = doctor.check_cache(cache)
    assert check.status is doctor.Status.OK and f"3,0{NBSP}Mio" in check.message
    blocked = tmp_path / "file"  # a file where the folder should be: even root cannot write
    blocked.write_text("", encoding="utf-8")
    check = doctor.check_cache(blocked)
    assert check.status is doctor.Status.WARNING and "FIDLE_EXAMPLES_CACHE" in check.action


def test_french_spacing():
    assert doctor.french_spacing("a : b ; c ? https://x a:b") == \
        f"a{NBSP}: b{NBSP}; c{NBSP}? https://x a:b"


def test_gpu_seen_by_the_driver_but_not_by_tensorflow_is_a_warning(monkeypatch):
    # No GPU here: the two sources are replaced to check how they are read together.
    monkeypatch.setattr(doctor, "_nvidia_smi", lambda: [("NVIDIA H200", "143771")])
    monkeypatch.setattr(doctor, "_tensorflow_gpus",
                        lambda driver: ([], "TensorFlow 2.21.0 compilé pour CUDA 12.5.1, cuDNN 9"))
    check = doctor.check_gpus("tensorflow")
    assert check.status is doctor.Status.WARNING
    assert f"NVIDIA H200 (140{NBSP}Gio)" in check.message and "processeur" in check.message
    assert "EXTRAS=dev,gpu" in check.action


def test_gpus_seen_by_tensorflow_are_listed(monkeypatch):
    monkeypatch.setattr(doctor, "_nvidia_smi", lambda: [("NVIDIA H200", "143771")])
    monkeypatch.setattr(doctor, "_tensorflow_gpus", lambda driver: (
        ["NVIDIA H200 (140 Gio, capacité de calcul 9.0)"], "TensorFlow 2.21.0 compilé pour CUDA 12.5.1, cuDNN 9"))
    check = doctor.check_gpus("tensorflow")
    assert check.status is doctor.Status.OK
    assert "1 GPU visible(s)" in check.message and "CUDA 12.5.1, cuDNN 9" in check.message
