"""Examples without Keras (NumPy, scikit-learn) never import it, anywhere: in the CLI, in
the build's workers, in this process; they say they ran on the processor, and on a GPU
machine they run on CPU workers beside the GPU workers (issue #23)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from fidle_examples.build import pool
from fidle_examples.core import registry
from support import ROOT

FRAMEWORKS = ("keras", "tensorflow", "jax", "torch")
NUMPY_EXAMPLES = [s.name for s in registry.EXAMPLES if not s.uses_keras]


def test_the_registry_knows_which_examples_use_keras():
    """uses_keras (and uses_sklearn) match the code: an example (or an example module it
    imports) that says `import keras` (`sklearn`) anywhere uses Keras (scikit-learn)."""
    import ast

    from fidle_examples.build import keys

    assert NUMPY_EXAMPLES == ["linear-regression", "gradient-descent",
                              "polynomial-regression", "course-figures"]
    for spec in registry.EXAMPLES:
        closure = keys.source_closure(f"fidle_examples.examples.{spec.module}")
        imported = {alias.name.split(".")[0]
                    for name, path in closure.items() if ".examples." in name
                    for node in ast.walk(ast.parse(path.read_bytes()))
                    if isinstance(node, (ast.Import, ast.ImportFrom))
                    for alias in (node.names if isinstance(node, ast.Import)
                                  else [ast.alias(node.module or "")])}
        assert spec.uses_keras == bool(imported & set(FRAMEWORKS)), spec.name
        assert spec.uses_sklearn == ("sklearn" in imported), spec.name


def _python(code: str) -> dict:
    """Run `code` in a fresh interpreter (src first on the path); it prints JSON."""
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=300, cwd=ROOT,
                          env={**__import__("os").environ, "PYTHONPATH": str(ROOT / "src")})
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", NUMPY_EXAMPLES)
def test_a_numpy_example_runs_without_keras(name, tmp_path):
    """Through the CLI (training, drawing, saving, comparing to the reference)."""
    seen = _python(f"""
        import contextlib, io, json, sys
        from fidle_examples import cli
        from fidle_examples.core.results import Result
        with contextlib.redirect_stdout(io.StringIO()):
            code = cli.main(["run", "{name}", "--profile", "quick", "--output", r"{tmp_path}"])
        result = Result.load(__import__("pathlib").Path(r"{tmp_path}"))
        print(json.dumps({{"code": code, "device": result.device,
                           "versions": result.versions,
                           "imported": [m for m in {FRAMEWORKS!r} if m in sys.modules]}}))
        """)
    assert seen["code"] == 0
    assert seen["imported"] == []
    # Recorded as a Keras run on the processor records it (runs and references compare),
    # written « processeur » on the pages; never a GPU.
    assert seen["device"].startswith("CPU (") and "GPU" not in seen["device"]
    # The same versions as a Keras run records (and as the cache key reads them).
    from fidle_examples.build import keys

    assert seen["versions"] == keys.library_versions()


# --- the worker pool, with a fake worker --------------------------------------------------

FAKE_WORKER = '''
import json, os, sys
PREFIX = "@fidle-event "
def emit(event, example, **data):
    print(PREFIX + json.dumps({"event": event, "example": example, **data}), flush=True)
emit("ready", "")
for line in sys.stdin:
    job = line.strip()
    if job == "boom":
        emit("error", job, message="panne simulée")
        sys.exit(1)
    emit("done", job, key="0" * 64, trained=True, duration_s=0.0, device="",
         pid=os.getpid(), gpus=os.environ.get("CUDA_VISIBLE_DEVICES"),
         threads=os.environ.get("OMP_NUM_THREADS"),
         imported=[m for m in ("keras", "tensorflow") if m in sys.modules])
'''


@pytest.fixture
def fake_worker(tmp_path, monkeypatch):
    (tmp_path / "fake_worker.py").write_text(FAKE_WORKER, encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    monkeypatch.setattr(pool, "WORKER_MODULE", "fake_worker")
    monkeypatch.setattr(registry, "get", _with_boom(registry.get))
    return tmp_path


def _with_boom(get):
    def patched(name):
        return get("linear-regression") if name == "boom" else get(name)
    return patched


def _run(jobs: list[str], workers: int, **options) -> list[dict]:
    events: list[dict] = []
    pool.run(jobs, "quick", ROOT / ".no-cache", events.append, lambda line: None,
             workers=workers, **options)
    return events


def test_with_gpus_numpy_jobs_go_to_cpu_workers(fake_worker, monkeypatch):
    """Two GPUs (simulated: only the routing is checked): one worker per GPU for the
    Keras jobs, CPU workers beside them (no GPU, one thread) for the others."""
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    monkeypatch.setattr(pool, "cores", lambda: 4)
    jobs = ["mnist", "linear-regression", "wine", "gradient-descent", "course-figures",
            "batch-size", "polynomial-regression"]
    keras_jobs = [j for j in jobs if registry.get(j).uses_keras]
    assert [(cpu, n, lane) for cpu, n, lane in pool.lanes(jobs, 2)] == [
        (False, 2, keras_jobs), (True, 2, [j for j in jobs if j not in keras_jobs])]
    done = {e["example"]: e for e in _run(jobs, 2) if e["event"] == "done"}
    assert set(done) == set(jobs)
    for job, event in done.items():
        if registry.get(job).uses_keras:
            assert event["worker"] in (1, 2) and event["gpus"] == str(event["worker"] - 1), job
        else:
            assert event["gpus"] == "" and event["threads"] == "1", job
            assert event["worker"] in (3, 4), job


def test_without_gpus_every_worker_takes_every_job_in_order(fake_worker, monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    jobs = ["wine", "linear-regression", "mnist"]
    assert pool.lanes(jobs, 2) == [(True, 2, jobs)]
    done = [e for e in _run(jobs, 2) if e["event"] == "done"]
    assert sorted(e["example"] for e in done) == sorted(jobs)
    assert all(e["threads"] == "1" and e["gpus"] == "" for e in done)


def test_keep_going_reports_a_failure_and_trains_the_rest(fake_worker, monkeypatch):
    """`mkdocs serve`: a failing job is an event; a fresh worker takes the jobs left."""
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    events = _run(["boom", "linear-regression", "course-figures"], 1, keep_going=True)
    assert [(e["event"], e["example"]) for e in events] == [
        ("error", "boom"), ("done", "linear-regression"), ("done", "course-figures")]
    assert events[0]["message"] == "panne simulée"
    assert events[1]["pid"] == events[2]["pid"]  # the replacement worker
    with pytest.raises(pool.WorkerError, match="panne simulée"):
        _run(["boom", "linear-regression"], 1)


@pytest.mark.parametrize("job, library", [
    ("gradient-descent?learning_rate=0.1", "sans Keras"),
    ("wine", "avec Keras sur TensorFlow")])
def test_the_build_log_names_keras_only_for_its_examples(job, library, caplog):
    """A worker's « done » event carries the backend of its versions (they key the
    cache) even for a NumPy example: the log line must not credit Keras with it."""
    from fidle_examples.build import loading

    event = {"event": "done", "example": job, "worker": 1, "trained": True,
             "duration_s": 1.25, "device": "CPU (2 cœurs)", "backend": "tensorflow"}
    with caplog.at_level("INFO", logger=loading.log.name):
        loading._EventLogger()(event)
    assert caplog.messages == [f"[processus 1] « {job} » : entraîné en 1,2\u202fs sur "
                               f"un processeur (2\u00a0cœurs), {library}."]
