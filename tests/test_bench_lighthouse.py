"""bench/lighthouse.py without Lighthouse: the runs kept per page, and the table."""

from __future__ import annotations

from bench import lighthouse


def summary(performance, accessibility=1.0, fcp=500.0):
    return {"scores": {"performance": performance, "accessibility": accessibility},
            "problem": None if performance is not None else "largest-contentful-paint : NO_LCP",
            "metrics": {"first-contentful-paint": fcp, "largest-contentful-paint": 1500.0,
                        "total-blocking-time": 20.0, "cumulative-layout-shift": 0.0},
            "bytes": 1_234_567}


def fake_runs(*outcomes):
    """one_run for measure_page: each call gives the next outcome (an exception is raised)."""
    calls = []

    def one_run(base):
        calls.append(base.name)
        outcome = outcomes[len(calls) - 1]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome
    return one_run, calls


def test_the_best_of_the_runs_counts_and_a_failed_run_is_retried(tmp_path):
    one_run, calls = fake_runs(summary(0.91), RuntimeError("Chrome a planté"),
                               summary(0.99), summary(0.95))
    entry = lighthouse.measure_page("cours/svm/", 3, tmp_path, one_run, lambda m: None)
    assert calls == ["cours-svm-1", "cours-svm-2", "cours-svm-3", "cours-svm-4"]
    assert [r["scores"]["performance"] for r in entry["runs"]] == [0.91, 0.99, 0.95]
    assert entry["best"]["scores"]["performance"] == 0.99
    assert entry["errors"] == ["Chrome a planté"]


def test_a_perfect_run_ends_the_page(tmp_path):
    one_run, calls = fake_runs(summary(1.0))
    entry = lighthouse.measure_page("", 3, tmp_path, one_run, lambda m: None)
    assert calls == ["accueil-1"] and entry["best"]["scores"]["performance"] == 1.0


def test_a_page_without_score_is_reported_not_fatal(tmp_path):
    one_run, calls = fake_runs(summary(None), summary(None), summary(0.5))
    entry = lighthouse.measure_page("imprimer/", 3, tmp_path, one_run, lambda m: None)
    assert len(calls) == 2 and entry["best"] is None
    assert "NO_LCP" in entry["errors"][-1]


def test_the_table_gives_the_minimum_and_the_pages_below_the_target():
    def entry(*runs):
        return {"runs": list(runs), "errors": [],
                "best": max(runs, key=lambda r: r["scores"]["performance"])}

    data = {"runs": 3, "pages": {
        "": entry(summary(0.99)),
        "cours/svm/": entry(summary(0.93, fcp=1234.0), summary(0.96)),
        "imprimer/": {"runs": [], "errors": ["pas de note de performance : NO_LCP"], "best": None},
    }}
    text = lighthouse.markdown(data)
    assert "| `/` | 99 | 500\u202fms | 1,5\u202fs | 20\u202fms | 0,000 | 1,23\u202fMo | 100 |" in text
    assert "| `/cours/svm/` | 96 |" in text
    assert "Note de performance minimale\u00a0: **96** (`/cours/svm/`)" in text
    assert "pages sous 98\u00a0: 1 (`/cours/svm/`)" in text
    assert "Sans note" in text and "`/imprimer/`" in text
    assert "jusqu'à 3 essais par page (un seul quand le premier donne 100)" in text
