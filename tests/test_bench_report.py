"""bench/report.py: a run that measured no Keras engine (`--backends ""`) keeps the engine
sections of the bench/resultats.md it replaces, dated by the run that measured them,
instead of losing them (they were kept by hand twice before)."""

from __future__ import annotations

from bench import report

MACHINE = {"cpu": "AMD EPYC, 2 cœurs", "python": "3.11.7", "versions": {"keras": "3.15.1"}}


def run(date: str, backends: dict) -> dict:
    return {"profile": "full", "machine": {**MACHINE, "date": date}, "backends": backends}


def tensorflow_measured() -> dict:
    throughput = {"first_epoch_s": 2.9, "epoch_s": 1.06, "samples_per_s": 47_140,
                  "gflops": 45.2, "fraction_of_peak": 0.233}
    return {"tensorflow": {"backend": "tensorflow", "versions": {"tensorflow": "2.21.0"},
                           "import_s": 3.78, "peak": {"gflops": 194},
                           "mnist": {"throughput": throughput, "total_s": 26.6,
                                     "metrics": {"test_accuracy": 0.9774}}}}


def test_a_run_without_engines_keeps_the_measured_sections_dated_by_their_run():
    measured = report.markdown(run("2026-11-29T05:10:57+00:00", tensorflow_measured()))
    assert "<!-- moteurs mesurés\u00a0: 29\u00a0novembre 2026 à 5\u00a0h\u00a010 -->" in measured
    later = report.markdown(run("2026-12-06T18:10:19+00:00", {}), previous=measured)
    assert "Mesures du 6\u00a0décembre 2026" in later  # its own context
    assert "| Import de Keras et du moteur | 3,78\u202fs |" in later  # the tables carried
    assert "Cette section et la suivante" not in later  # no step profile here
    assert "Cette section vient de la mesure du 29\u00a0novembre 2026 à 5\u00a0h\u00a010" in later
    assert "Aucun moteur mesuré" not in later
    # carried again: the same text, one note, the first date
    again = report.markdown(run("2026-12-07T09:00:00+00:00", {}), previous=later)
    assert again.split("### Moteurs de calcul de Keras")[1] == \
        later.split("### Moteurs de calcul de Keras")[1]
    assert again.count("Cette section vient") == 1


def test_a_run_that_measures_an_engine_writes_its_own_sections():
    old = report.markdown(run("2026-11-29T05:10:57+00:00", tensorflow_measured()))
    backends = tensorflow_measured()
    backends["tensorflow"]["import_s"] = 4.5
    new = report.markdown(run("2026-12-07T09:00:00+00:00", backends), previous=old)
    assert "| Import de Keras et du moteur | 4,50\u202fs |" in new
    assert "3,78" not in new and "Cette section" not in new
    assert "<!-- moteurs mesurés\u00a0: 7\u00a0décembre 2026" in new


def test_nothing_to_carry_says_so():
    first = report.markdown(run("2026-12-06T18:10:19+00:00", {}), previous=None)
    assert "Aucun moteur mesuré" in first
    again = report.markdown(run("2026-12-07T09:00:00+00:00", {}), previous=first)
    assert "Aucun moteur mesuré" in again and "Cette section" not in again
    undated = ("### Moteurs de calcul de Keras\n\n| Mesure | TensorFlow |\n| --- | ---: |\n"
               "| Version | 2.21.0 |\n")
    carried = report.markdown(run("2026-12-07T09:00:00+00:00", {}), previous=undated)
    assert "vient d'une mesure précédente" in carried and "| Version | 2.21.0 |" in carried
