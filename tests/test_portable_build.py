"""A machine without `fcntl` (Windows) nor `os.sched_getaffinity` (macOS, Windows): the
plugin, `doctor` and a quick strict build of a small site still work there. The missing
pieces are simulated by a sitecustomize module, which Python imports at start-up in
the build process and in each of its training workers."""

from __future__ import annotations

import os
import subprocess
import sys

from support import build_site, make_project

SITECUSTOMIZE = '''
import os, sys
sys.modules["fcntl"] = None          # "import fcntl" raises ImportError, as on Windows
if hasattr(os, "sched_getaffinity"):
    del os.sched_getaffinity         # absent on macOS and Windows
os.environ["FIDLE_TEST_WINDOWS_LIKE"] = "1"
'''

PAGE = """# Essai

La pente estimée vaut {{ fidle:metric linear-regression/slope }}.

{{ fidle:provenance linear-regression }}
"""


def _windows_like(tmp_path):
    folder = tmp_path / "windows-like"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    return folder


def test_the_simulation_hides_fcntl_and_sched_getaffinity(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [str(_windows_like(tmp_path)), os.environ.get("PYTHONPATH")]))}
    probe = ("import os, importlib\n"
             "try:\n    importlib.import_module('fcntl'); print('fcntl')\n"
             "except ImportError:\n    print('pas de fcntl')\n"
             "print(hasattr(os, 'sched_getaffinity'))\n"
             "from fidle_examples import doctor, plugin\n"
             "from fidle_examples.build import pool\n"
             "print(pool.cores() >= 1)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["pas", "de", "fcntl", "False", "True"]


def test_a_quick_strict_build_works_without_fcntl_nor_sched_getaffinity(tmp_path):
    project = make_project(tmp_path / "site", {"index.md": PAGE})
    cache = tmp_path / "cache"
    done = build_site(project, cache, site_dir=tmp_path / "out",
                      PYTHONPATH=os.pathsep.join(filter(None, [
                          str(_windows_like(tmp_path)), os.environ.get("PYTHONPATH")])))
    assert done.returncode == 0, done.stdout[-3000:]
    assert "« linear-regression » : entraîné en" in done.stdout  # by a worker, locked
    html = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "La pente estimée vaut" in html and "{{ fidle:" not in html
    assert "fidle-provenance" in html
    assert any(cache.rglob("result.json"))
