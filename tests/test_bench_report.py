"""bench/report.py: a run that measured no Keras engine (`--backends ""`, or none
installed) keeps the engine sections of the bench/resultats.md it replaces, dated by the
run that measured them, instead of losing them (they were kept by hand twice before);
never an engine's error, another processor's or another profile's tables."""

from __future__ import annotations

from bench import report

NBSP = "\u00a0"
CPU = "AMD EPYC, 2 cœurs"


def run(date: str, backends: dict, cpu: str = CPU, profile: str = "full") -> dict:
    return {"profile": profile, "backends": backends,
            "machine": {"cpu": cpu, "python": "3.11.7", "versions": {"keras": "3.15.1"},
                        "date": date}}


def tensorflow_measured(import_s: float = 3.78) -> dict:
    throughput = {"first_epoch_s": 2.9, "epoch_s": 1.06, "samples_per_s": 47_140,
                  "gflops": 45.2, "fraction_of_peak": 0.233}
    return {"tensorflow": {"backend": "tensorflow", "versions": {"tensorflow": "2.21.0"},
                           "import_s": import_s, "peak": {"gflops": 194},
                           "mnist": {"throughput": throughput, "total_s": 26.6,
                                     "metrics": {"test_accuracy": 0.9774}}},
            "jax": {"absent": "non installé"}}


def engines(text: str) -> str:
    return text.split("### Moteurs de calcul de Keras")[1]


MEASURED = report.markdown(run("2026-11-29T08:21:00+00:00", tensorflow_measured()))


def test_a_run_without_engines_keeps_the_measured_sections_dated_by_their_run():
    assert f"<!-- moteurs mesurés{NBSP}: 29{NBSP}novembre 2026 à 8{NBSP}h{NBSP}21" in MEASURED
    later = report.markdown(run("2026-12-06T18:10:19+00:00", {}), previous=MEASURED)
    assert f"Mesures du 6{NBSP}décembre 2026" in later  # its own context
    assert "| Import de Keras et du moteur | 3,78\u202fs |" in later  # the tables carried
    assert (f"Cette section reprend les mesures du 29{NBSP}novembre 2026 à 8{NBSP}h{NBSP}21, "
            "sur le même processeur") in later
    assert "lancée avec l'option `--backends \"\"`" in later
    assert f"La ligne «{NBSP}Non mesurés{NBSP}» décrit l'état du 29" in later
    assert "Aucun moteur mesuré" not in later
    # carried again: the same sections, one note, the first date
    again = report.markdown(run("2026-12-07T09:00:00+00:00", {}), previous=later)
    assert engines(again).replace("7\u00a0décembre 2026 à 9\u00a0h\u00a000", "X") == \
        engines(later).replace("6\u00a0décembre 2026 à 18\u00a0h\u00a010", "X")
    assert again.count("Cette section reprend") == 1


def test_a_run_that_measures_an_engine_writes_its_own_sections():
    new = report.markdown(run("2026-12-07T09:00:00+00:00", tensorflow_measured(4.5)),
                          previous=MEASURED)
    assert "| Import de Keras et du moteur | 4,50\u202fs |" in new
    assert "3,78" not in new and "Cette section" not in new
    assert f"<!-- moteurs mesurés{NBSP}: 7{NBSP}décembre 2026" in new


def test_an_engine_that_failed_is_reported_not_hidden():
    failed = {"tensorflow": {"error": "RuntimeError : panne"}}
    text = report.markdown(run("2026-12-07T09:00:00+00:00", failed), previous=MEASURED)
    assert "panne" in text and "3,78" not in text


def test_nothing_is_carried_from_another_processor_or_profile_or_from_nothing():
    for other in (run("2026-12-07T09:00:00+00:00", {}, cpu="Intel Xeon, 8 cœurs"),
                  run("2026-12-07T09:00:00+00:00", {}, profile="quick")):
        text = report.markdown(other, previous=MEASURED)
        assert "Aucun moteur mesuré" in text and "3,78" not in text
    first = report.markdown(run("2026-12-06T18:10:19+00:00", {}), previous=None)
    assert "Aucun moteur mesuré" in first
    again = report.markdown(run("2026-12-07T09:00:00+00:00", {}), previous=first)
    assert "Aucun moteur mesuré" in again and "Cette section" not in again
    undated = ("### Moteurs de calcul de Keras\n\n| Mesure | TensorFlow |\n| --- | ---: |\n"
               "| Version | 2.21.0 |\n")
    assert "Aucun moteur mesuré" in report.markdown(run("2026-12-07T09:00:00+00:00", {}),
                                                    previous=undated)


def test_only_the_engine_sections_are_carried():
    later_section = MEASURED + "\n### Une section ajoutée plus tard\n\nSon texte.\n"
    text = report.markdown(run("2026-12-06T18:10:19+00:00", {}), previous=later_section)
    assert "3,78" in text and "Une section ajoutée plus tard" not in text


def test_the_note_says_why_no_engine_was_measured():
    absent = {"tensorflow": {"absent": "non installé"}}
    text = report.markdown(run("2026-12-06T18:10:19+00:00", absent), previous=MEASURED)
    assert "n'a trouvé aucun moteur installé" in text and "3,78" in text
