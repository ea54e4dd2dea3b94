"""npm tools of the browser tests (axe-core, Lighthouse), installed on demand.

Versions are pinned by package.json and package-lock.json beside this file;
`npm ci` installs them into .cache/browser-tools/ (git-ignored), once: a stamp
holding the lock file's content decides whether to reinstall.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TOOLS_DIR = Path(os.environ.get("FIDLE_BROWSER_TOOLS", ROOT / ".cache" / "browser-tools"))
MANIFESTS = ("package.json", "package-lock.json")


def ensure_installed(npm: str, tools_dir: Path = TOOLS_DIR) -> Path:
    """Install the pinned npm packages if needed; returns their node_modules folder."""
    stamp = tools_dir / "node_modules" / ".fidle-lock"
    lock = (HERE / "package-lock.json").read_text(encoding="utf-8")
    if stamp.is_file() and stamp.read_text(encoding="utf-8") == lock:
        return tools_dir / "node_modules"
    tools_dir.mkdir(parents=True, exist_ok=True)
    for name in MANIFESTS:
        shutil.copyfile(HERE / name, tools_dir / name)
    # --ignore-scripts: no install script may download a browser behind our back.
    proc = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
        cwd=tools_dir, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(
            f"« npm ci » a échoué dans {tools_dir} (code {proc.returncode}). Il faut un accès "
            "au registre npm la première fois ; ensuite les paquets restent dans ce dossier.\n"
            + (proc.stdout + proc.stderr)[-3000:])
    stamp.write_text(lock, encoding="utf-8")
    return tools_dir / "node_modules"


def run_lighthouse(node: str, node_modules: Path, url: str, output_base: Path,
                   chrome_path: str, chrome_flags: list[str]) -> dict:
    """Lighthouse (desktop preset) on url; writes OUTPUT_BASE.report.{json,html}.

    Returns {category id: score between 0 and 1}.
    """
    output_base.parent.mkdir(parents=True, exist_ok=True)
    cli = node_modules / "lighthouse" / "cli" / "index.js"
    cmd = [node, str(cli), url, "--preset=desktop", "--quiet",
           "--output=json", "--output=html", f"--output-path={output_base}",
           f"--chrome-flags={' '.join(chrome_flags)}",
           "--only-categories=performance,accessibility,best-practices,seo"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240,
                          env={**os.environ, "CHROME_PATH": chrome_path})
    report_path = output_base.with_name(output_base.name + ".report.json")
    if proc.returncode != 0 or not report_path.is_file():
        raise RuntimeError(f"Lighthouse a échoué sur {url} (code {proc.returncode}) :\n"
                           + (proc.stdout + proc.stderr)[-3000:])
    report = json.loads(report_path.read_text(encoding="utf-8"))
    if report.get("runtimeError"):
        raise RuntimeError(f"Lighthouse : {report['runtimeError']}")
    return {cid: cat["score"] for cid, cat in report["categories"].items()}
