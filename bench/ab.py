"""Before and after an optimisation, measured in the same run: the examples it touched
are trained alternately with their old code and their current code.

Separate benchmark runs differ by 10 to 20 % on a shared 2-core machine; alternating
in one run exposes both versions to the same load. The "before" tree is the current
package with only the optimised example modules taken back to BEFORE_REV, so that
nothing else differs.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from bench.machine import ROOT

# The commit before "Validation in one step" (validation_batch_size = the whole
# validation set) and the example modules that commit changed.
BEFORE_REV = "5e84bb12b3c5ec5f6ac3647a9f575dfa1b6c361d"
OPTIMISED = {"wine": "wine.py", "overfitting": "overfitting.py", "randomness": "randomness.py"}
EXAMPLES_DIR = "src/fidle_examples/examples"
PREFIX = "@ab "
_CHILD = f"""
import json, sys
from fidle_examples.core import runner
result = runner.run_example(sys.argv[1], sys.argv[2], verbose=0)
print({PREFIX!r} + json.dumps({{"duration_s": result.duration_s, "metrics": {{
    k: [m.value, m.kind] for k, m in result.metrics.items()}}}}))
"""


def before_tree(workdir: Path) -> Path:
    """A copy of src/ whose optimised example modules are those of BEFORE_REV."""
    root = workdir / "avant" / "src"
    shutil.copytree(ROOT / "src" / "fidle_examples", root / "fidle_examples",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for module in OPTIMISED.values():
        old = subprocess.run(["git", "show", f"{BEFORE_REV}:{EXAMPLES_DIR}/{module}"],
                             cwd=ROOT, capture_output=True, check=True).stdout
        (root / "fidle_examples" / "examples" / module).write_bytes(old)
    return root


def _train(name: str, profile: str, src: Path, env: dict) -> dict:
    env = {**env, "PYTHONPATH": os.pathsep.join(filter(None, [str(src),
                                                              env.get("PYTHONPATH")])),
           "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([sys.executable, "-c", _CHILD, name, profile], env=env,
                          capture_output=True, text=True, cwd=ROOT)
    for line in done.stdout.splitlines():
        if line.startswith(PREFIX):
            return json.loads(line[len(PREFIX):])
    tail = " ".join((done.stdout + done.stderr).strip().splitlines()[-3:])
    raise RuntimeError(f"« {name} » a échoué (code {done.returncode}) : {tail}")


def _same_scores(runs: list[dict]) -> float:
    """Largest relative difference between the runs' metrics, durations excepted."""
    worst = 0.0
    first = runs[0]["metrics"]
    for run in runs[1:]:
        for key, (value, kind) in first.items():
            if kind == "seconds" or "seconds" in key:
                continue
            other = run["metrics"][key][0]
            worst = max(worst, abs(other - value) / max(abs(value), 1e-12))
    return worst


def measure(workdir: Path, env: dict, profile: str, repeats: int,
            log=lambda message: None) -> dict:
    trees = {"before": before_tree(workdir), "after": ROOT / "src"}
    runs: dict[str, dict[str, list[dict]]] = {n: {"before": [], "after": []} for n in OPTIMISED}
    for repeat in range(repeats):
        order = ("before", "after") if repeat % 2 == 0 else ("after", "before")
        for name in OPTIMISED:
            for which in order:
                runs[name][which].append(_train(name, profile, trees[which], env))
        log(f"avant/après : répétition {repeat + 1}/{repeats} faite")
    out = {"rev": BEFORE_REV, "profile": profile, "repeats": repeats, "examples": {}}
    for name, by_version in runs.items():
        before = [r["duration_s"] for r in by_version["before"]]
        after = [r["duration_s"] for r in by_version["after"]]
        out["examples"][name] = {
            "before_s": before, "after_s": after,
            "before_median_s": statistics.median(before),
            "after_median_s": statistics.median(after),
            "ratio": statistics.median(after) / statistics.median(before),
            "max_metric_difference": _same_scores(by_version["before"] + by_version["after"]),
        }
    return out
