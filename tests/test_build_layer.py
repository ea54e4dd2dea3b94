"""The package's layers (core, examples, build, plugin, then the CLI) and the build
layer's portable pieces: atomic writes, devices and cores of the worker pool, a
machine without fcntl or sched_getaffinity (Windows, macOS)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fidle_examples.build import pool, worker
from fidle_examples.core import atomic
from support import ROOT

PACKAGE = ROOT / "src" / "fidle_examples"
# Each layer may import those after it in this list, never those before it.
LAYERS = ["cli", "plugin", "build", "examples", "core"]


def _imports(path: Path) -> set[str]:
    """The fidle_examples modules `path` imports (absolute imports: the package's rule)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_bytes())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m.startswith("fidle_examples.")}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> str | None:
    part = module.split(".")[1] if module.count(".") else ""
    if part in ("plugin", "build", "examples", "core"):
        return part
    if part in ("cli", "interrupt", "doctor", "reference_runs", "__main__"):
        return "cli"
    return None  # notebooks/, browser.py: tooling beside the layers


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: {m for m in _imports(path) if m in modules} for name, path in modules.items()}


def test_no_import_runs_back_up_the_layers():
    upward = []
    for module, imported in _graph().items():
        mine = _layer(module)
        for other in imported:
            theirs = _layer(other)
            if mine and theirs and LAYERS.index(theirs) < LAYERS.index(mine):
                upward.append(f"{module} -> {other}")
    assert upward == []


def test_the_layer_rule_catches_an_upward_import():
    assert LAYERS.index(_layer("fidle_examples.plugin.markers")) < \
        LAYERS.index(_layer("fidle_examples.build.loading"))
    assert _layer("fidle_examples.doctor") == "cli"


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per back edge of a depth-first walk."""
    state, found = {}, []

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                found.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return found


def test_no_import_cycle_inside_the_package():
    # A package importing its own modules (__init__ -> child) is not a cycle.
    graph = {k: {m for m in v if m != k and not m.startswith(k + ".")}
             for k, v in _graph().items()}
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]


def test_the_build_layer_does_not_import_mkdocs():
    for path in (PACKAGE / "build").glob("*.py"):
        tree = ast.parse(path.read_bytes())
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert not any(n.split(".")[0] == "mkdocs" for n in names), path.name


# --- atomic writes ----------------------------------------------------------------------

def test_atomic_file_replaces_whole_or_not_at_all(tmp_path):
    target = tmp_path / "a" / "ref.txt"
    atomic.write_text(target, "v1")
    atomic.write_text(target, "v2")
    assert target.read_text() == "v2"
    assert [p.name for p in target.parent.iterdir()] == ["ref.txt"]  # no leftover


def test_atomic_folder_failure_keeps_the_previous_folder(tmp_path):
    target = tmp_path / "entry"
    with atomic.folder(target) as staging:
        (staging / "x").write_text("good")
    with pytest.raises(RuntimeError):
        with atomic.folder(target) as staging:
            (staging / "x").write_text("half")
            raise RuntimeError("interrompu")
    assert (target / "x").read_text() == "good"
    assert atomic.leftovers(target) == []
    with atomic.folder(target) as staging:
        (staging / "y").write_text("new")
    assert sorted(p.name for p in target.iterdir()) == ["y"]


# --- devices and cores ------------------------------------------------------------------

@pytest.mark.parametrize("visible, expected", [
    ("3,5", ["3", "5", "3"]),
    ("GPU-8c1f2a4e,GPU-77aa", ["GPU-8c1f2a4e", "GPU-77aa", "GPU-8c1f2a4e"]),
    ("MIG-1a2b/1/0", ["MIG-1a2b/1/0"] * 3),
    ("2,-1,4", ["2", "2", "2"]),  # CUDA ignores everything from the first invalid entry
])
def test_each_worker_gets_the_next_of_the_parents_devices(monkeypatch, visible, expected):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", visible)
    envs = [pool.worker_env(n, {}) for n in (1, 2, 3)]
    assert [e["CUDA_VISIBLE_DEVICES"] for e in envs] == expected
    assert all(e["TF_FORCE_GPU_ALLOW_GROWTH"] == "true" for e in envs)
    assert "OMP_NUM_THREADS" not in envs[0]
    # TensorFlow keeps its defaults on GPUs (tuned only where it was measured)
    assert all(worker.ENV_CPU_TUNING not in e for e in envs)
    cpu = pool.worker_env(4, {}, cpu=True)
    assert cpu["CUDA_VISIBLE_DEVICES"] == "" and cpu[worker.ENV_CPU_TUNING] == "1"


def test_no_visible_gpu_means_one_thread_per_cpu_worker(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "-1")
    env = pool.worker_env(1, {})
    assert env["CUDA_VISIBLE_DEVICES"] == "-1" if "CUDA_VISIBLE_DEVICES" in env else True
    assert env["OMP_NUM_THREADS"] == "1" and env["TF_NUM_INTRAOP_THREADS"] == "1"
    assert env[worker.ENV_CPU_TUNING] == "1"  # core/tfdata_autotune.py, grappler_threshold.py
    assert pool.visible_gpus() == []


def test_cores_without_sched_getaffinity(monkeypatch):
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    monkeypatch.delenv(pool.ENV_WORKERS, raising=False)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert pool.cores() == 6
    assert pool.pool_size(100) == 6 and pool.pool_size(2) == 2


def test_workers_option_and_its_environment_override(monkeypatch):
    monkeypatch.delenv(pool.ENV_WORKERS, raising=False)
    assert pool.pool_size(10, configured=3) == 3
    monkeypatch.setenv(pool.ENV_WORKERS, "1")
    assert pool.pool_size(10, configured=3) == 1


# --- a machine without fcntl nor sched_getaffinity --------------------------------------

WINDOWS_LIKE = """
import os, sys
sys.modules["fcntl"] = None          # import fcntl raises ImportError, as on Windows
del os.sched_getaffinity             # absent on macOS and Windows
import fidle_examples.plugin, fidle_examples.doctor, fidle_examples.cli
from fidle_examples.build import pool, storage
cache = storage.ResultsCache(sys.argv[1])
with cache.lock("mnist", "quick", "a" * 64):
    pass
print("cœurs", pool.cores())
"""


def test_plugin_doctor_and_cache_lock_work_without_fcntl(tmp_path):
    done = subprocess.run([sys.executable, "-c", WINDOWS_LIKE, str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("cœurs ")
    assert (tmp_path / "mnist").is_dir()


# --- options of the plugin, overridden by the environment ---------------------------------

def test_cache_dir_option_is_relative_to_the_project_and_the_variable_wins(tmp_path, monkeypatch):
    from fidle_examples.build import storage

    monkeypatch.delenv(storage.ENV_CACHE, raising=False)
    assert storage.default_root(tmp_path) == tmp_path / ".cache" / "fidle-examples"
    assert storage.default_root(tmp_path, "cache/ici") == tmp_path / "cache" / "ici"
    assert storage.default_root(tmp_path, str(tmp_path / "abs")) == tmp_path / "abs"
    monkeypatch.setenv(storage.ENV_CACHE, str(tmp_path / "env"))
    assert storage.default_root(tmp_path, "cache/ici") == tmp_path / "env"


def test_the_cli_reads_the_plugin_options_of_mkdocs_yml(tmp_path, monkeypatch):
    from fidle_examples.build import storage

    monkeypatch.delenv(storage.ENV_CACHE, raising=False)
    (tmp_path / "mkdocs.yml").write_text(
        "site_url: !ENV [SITE_URL, 'https://x/']\nplugins:\n  - search\n"
        "  - fidle-examples:\n      cache_dir: autre/cache\n      workers: 3\n", encoding="utf-8")
    assert storage.project_root(tmp_path) == tmp_path / "autre" / "cache"
    assert storage.plugin_option(tmp_path / "mkdocs.yml", "workers") == 3
    assert storage.plugin_option(tmp_path / "absent.yml", "workers") is None
    assert storage.project_root(ROOT) == ROOT / ".cache" / "fidle-examples"  # the real one


@pytest.mark.parametrize("workers, error", [(-1, "L'option workers du greffon"), (0, None), (2, None)])
def test_workers_option_is_checked(tmp_path, workers, error):
    from mkdocs.config import load_config
    from mkdocs.exceptions import PluginError

    (tmp_path / "docs").mkdir()
    (tmp_path / "mkdocs.yml").write_text(
        f"site_name: essai\nplugins:\n  - fidle-examples:\n      workers: {workers}\n",
        encoding="utf-8")
    config = load_config(str(tmp_path / "mkdocs.yml"))
    plugin = config.plugins["fidle-examples"]
    if error:
        with pytest.raises(PluginError, match=error):
            plugin.on_config(config)
    else:
        plugin.on_config(config)
        assert plugin._loader.workers == (workers or None)
