"""Lighthouse (desktop preset) on every page of a built site: `python -m bench.lighthouse SITE_DIR`.

    python -m bench.lighthouse /tmp/site              # best of 3 runs per page, French table
    python -m bench.lighthouse /tmp/site --runs 1 --json out.json --reports /tmp/lh

The site is served by a plain static server on loopback (Python's http.server:
no compression, as `python -m http.server` would; --gzip compresses text files
as a production host does), one page at a time, so that Lighthouse measures the
pages as they are built. The performance score depends
on how busy the CPU is: each page gets up to RUNS runs and its best counts
(a run scoring 100 ends the page early: nothing can beat it). Uses the pinned
npm tools of the browser tests (tests/browser/nodetools.py) and Chromium.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from fidle_examples import browser
from fidle_examples.core import frenchfmt

ROOT = Path(__file__).resolve().parents[1]
BROWSER_TESTS = ROOT / "tests" / "browser"
NNBSP = frenchfmt.NNBSP
# Lighthouse audits reported beside the scores: (id, French label, unit).
METRICS = (("first-contentful-paint", "FCP", "ms"), ("largest-contentful-paint", "LCP", "ms"),
           ("total-blocking-time", "TBT", "ms"), ("cumulative-layout-shift", "CLS", ""))
TARGET = 0.98  # issue 14: every page at least 98 in performance


def _load(name: str):
    """A helper module of the browser tests (they are not a package)."""
    spec = importlib.util.spec_from_file_location(f"_fidle_{name}", BROWSER_TESTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _run_summary(report_file: Path) -> dict:
    report = json.loads(report_file.read_text(encoding="utf-8"))
    audits = report["audits"]
    problems = [f"{aid} : {audits[aid]['errorMessage']}" for aid, _, _ in METRICS
                if aid in audits and audits[aid].get("errorMessage")]
    return {"scores": {cid: cat["score"] for cid, cat in report["categories"].items()},
            "problem": "; ".join(problems) or None,
            "metrics": {aid: audits[aid]["numericValue"] for aid, _, _ in METRICS
                        if aid in audits and "numericValue" in audits[aid]},
            "bytes": audits.get("total-byte-weight", {}).get("numericValue")}


def measure(site_dir: Path, runs: int = 3, reports: Path | None = None,
            pages: list[str] | None = None, log=print, gzip: bool = False,
            on_page=None) -> dict:
    """{"pages": {path: {"runs": [...], "errors": [...], "best": {...} or None}}, ...};
    on_page(path, entry) after each page. Raises RuntimeError when a tool is missing."""
    nodetools, sitetools = _load("nodetools"), _load("sitetools")
    chromium, node, npm = browser.find_chromium(), shutil.which("node"), shutil.which("npm")
    if not chromium:
        raise RuntimeError("Chromium est introuvable : « apt-get install -y chromium » "
                           "(ou son chemin dans FIDLE_CHROMIUM).")
    if not (node and npm):
        raise RuntimeError("Node.js et npm sont introuvables : « apt-get install -y nodejs npm ».")
    modules = nodetools.ensure_installed(npm)
    pages = sitetools.site_pages(site_dir) if pages is None else pages
    folder = reports or Path(tempfile.mkdtemp(prefix="fidle-lighthouse-"))
    results: dict = {}
    started = time.monotonic()
    try:
        with browser.static_server(site_dir, gzip=gzip) as url:
            for number, path in enumerate(pages, 1):
                def one_run(base: Path) -> dict:
                    nodetools.run_lighthouse(node, modules, url + path, base,
                                             chromium, browser.CHROMIUM_FLAGS)
                    return _run_summary(base.with_name(base.name + ".report.json"))

                entry = measure_page(path, runs, folder, one_run, log)
                results[path] = entry
                if entry["best"]:
                    log(f"[{number}/{len(pages)}] /{path} : performance "
                        f"{round(100 * entry['best']['scores']['performance'])}, accessibilité "
                        f"{round(100 * _accessibility(entry))} ({len(entry['runs'])} essai(s))")
                else:
                    log(f"[{number}/{len(pages)}] /{path} : aucune mesure ({entry['errors'][-1]})")
                if on_page:
                    on_page(path, entry)
    finally:
        if reports is None:
            shutil.rmtree(folder, ignore_errors=True)
    return {"site": str(site_dir), "runs": runs, "gzip": gzip, "pages": results,
            "duration_s": time.monotonic() - started,
            "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None}


def measure_page(path: str, runs: int, folder: Path, one_run, log) -> dict:
    """Up to `runs` Lighthouse runs of one page (one_run(report base) -> summary);
    a run that fails or gives no performance score (Chrome crashing under load,
    no largest paint...) is retried once. best is None when no run counted."""
    entry: dict = {"runs": [], "errors": [], "best": None}
    run = 0
    while len(entry["runs"]) < runs and len(entry["errors"]) < 2:
        run += 1
        base = folder / f"{path.strip('/').replace('/', '-') or 'accueil'}-{run}"
        try:
            summary = one_run(base)
        except RuntimeError as exc:
            entry["errors"].append(str(exc).splitlines()[0][:300])
            log(f"/{path} : essai {run} en échec : {entry['errors'][-1]}")
            continue
        if summary["scores"].get("performance") is None:
            entry["errors"].append("pas de note de performance : "
                                   + (summary.get("problem") or "raison inconnue"))
            log(f"/{path} : essai {run} sans note : {entry['errors'][-1]}")
            continue
        entry["runs"].append(summary)
        if summary["scores"]["performance"] >= 1:
            break  # nothing can beat it
    if entry["runs"]:
        entry["best"] = max(entry["runs"], key=lambda r: r["scores"]["performance"])
    return entry


def _accessibility(entry: dict) -> float:
    return min(r["scores"]["accessibility"] for r in entry["runs"])


def _metric(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "ms":
        return (f"{frenchfmt.number(value / 1000, 1)}{NNBSP}s" if value >= 1000
                else f"{frenchfmt.number(value, 0)}{NNBSP}ms")
    return frenchfmt.number(value, 3)


def _perf(entry: dict) -> float:
    return entry["best"]["scores"]["performance"]


def markdown(data: dict) -> str:
    """The French table: one line per page (best run), then the minimum."""
    pages = data["pages"]
    header = ["Page", "Performance", *(label for _, label, _ in METRICS), "Poids",
              "Accessibilité"]
    rows = []
    for path, entry in pages.items():
        best = entry["best"]
        if best is None:
            rows.append([f"`/{path}`", "—", *("—" for _ in METRICS), "—",
                         f"aucune mesure : {entry['errors'][-1]}"])
            continue
        weight = best.get("bytes")
        rows.append([f"`/{path}`", str(round(100 * _perf(entry))),
                     *(_metric(best["metrics"].get(aid), unit) for aid, _, unit in METRICS),
                     f"{frenchfmt.number(weight / 1e6, 2)}{NNBSP}Mo" if weight else "—",
                     str(round(100 * _accessibility(entry)))])
    tries = ("un essai par page" if data["runs"] == 1
             else f"jusqu'à {data['runs']} essais par page (un seul quand le premier donne "
                  "100), le meilleur pour la performance et ses mesures, le plus bas pour "
                  "l'accessibilité")
    served = "compressées (gzip)" if data.get("gzip") else "sans compression"
    lines = [f"Lighthouse (préréglage pour ordinateur de bureau, *desktop*) sur chacune des "
             f"{len(pages)} pages, servies {served} par un serveur statique local ; {tries} "
             "(la note de performance dépend de la charge de la machine). FCP (*First "
             "Contentful Paint*) : premier affichage de contenu ; LCP (*Largest Contentful "
             "Paint*) : affichage du plus grand élément ; TBT (*Total Blocking Time*) : temps "
             "de blocage du fil principal ; CLS (*Cumulative Layout Shift*) : décalage cumulé "
             "de la mise en page ; poids : octets transférés.", "",
             "| " + " | ".join(header) + " |",
             "| --- | " + " | ".join("---:" for _ in header[1:]) + " |",
             *("| " + " | ".join(row) + " |" for row in rows), ""]
    measured = {p: e for p, e in pages.items() if e["best"]}
    if measured:
        worst_path, worst = min(measured.items(), key=lambda item: _perf(item[1]))
        below = [p for p, e in measured.items() if _perf(e) < TARGET]
        access = min(_accessibility(e) for e in measured.values())
        lines.append(f"Note de performance minimale : **{round(100 * _perf(worst))}** "
                     f"(`/{worst_path}`) ; pages sous {round(100 * TARGET)} : {len(below)}"
                     + (f" ({', '.join(f'`/{p}`' for p in below)})" if below else "")
                     + f". Accessibilité minimale : {round(100 * access)}.")
        failed = [p for p in pages if p not in measured]
        if failed:
            lines[-1] += (" Sans note (Lighthouse n'a pas pu mesurer la page) : "
                          + ", ".join(f"`/{p}`" for p in failed) + ".")
        lines.append("")
    text = "\n".join(lines)
    # French typography: no-break space before « : ; » and inside « », outside `code`.
    parts = text.split("`")
    return "`".join(p.replace(" :", "\u00a0:").replace(" ;", "\u00a0;").replace("« ", "«\u00a0")
                    .replace(" »", "\u00a0»") if i % 2 == 0 else p
                    for i, p in enumerate(parts))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.lighthouse", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("site", type=Path, help="folder of the built site (mkdocs build -d)")
    parser.add_argument("--runs", type=int, default=3, help="runs per page, the best counts")
    parser.add_argument("--page", action="append", dest="pages", metavar="PATH",
                        help="only this page (e.g. exemples/mnist/), repeatable")
    parser.add_argument("--gzip", action="store_true",
                        help="serve text files gzip-compressed, as a production host does")
    parser.add_argument("--json", type=Path, help="also write the measures as JSON")
    parser.add_argument("--reports", type=Path,
                        help="keep the Lighthouse reports (JSON and HTML) in this folder")
    args = parser.parse_args(argv)
    if not (args.site / "index.html").is_file():
        parser.error(f"{args.site} n'est pas un site construit (pas d'index.html)")
    done: dict = {}

    def save(path: str, entry: dict) -> None:  # each page as it comes: a long run may stop
        done[path] = entry
        if args.json:
            args.json.write_text(json.dumps({"site": str(args.site), "runs": args.runs,
                                             "gzip": args.gzip, "pages": done},
                                            ensure_ascii=False, indent=1), encoding="utf-8")

    try:
        data = measure(args.site, args.runs, args.reports, args.pages,
                       log=lambda m: print(m, file=sys.stderr, flush=True), gzip=args.gzip,
                       on_page=save)
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 1
    if args.json:
        args.json.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    print(markdown(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
