"""bench/step_profile.py and its table in bench/report.py, fed with made-up timings
(no training): the matrix shapes and their FLOPs, the shares of the epoch, the table."""

from __future__ import annotations

import re

import pytest

from bench import flops, report, step_profile

NNBSP = "\u202f"
SIZES = [784, 200, 200, 10]


def made_up(peak: float = 200.0, **timings) -> dict:
    """A profile of 100 full batches of 512 per epoch, with round shares:
    products 25 %, other operations 37.5 %, Keras's step 6.25 %, fit loop 18.75 %,
    validation 12.5 % of a 0.8 s epoch."""
    profile = {
        "batch_size": 512, "hidden_units": 200, "n_train": 51_200, "n_val": 10_240,
        "steps_per_execution": 16, "loop_steps": 100, "repeats": 5, "epochs": 5,
        "jit_compile": False, "validation_method": "fit",
        "threads": {"intra_op": 0, "inter_op": 0, "env_intra_op": None, "cores": 2},
        "peak_gflops": peak,
        "timings": {"matmul_step_s": 0.002, "matmul_forward_s": 0.0008,
                    "bare_step_s": 0.005, "keras_step_s": 0.0055, "fit_epoch_s": 0.7,
                    "validation_s": 0.1, "evaluate_s": 0.15, "fit_validation_s": 0.11,
                    "epoch_s": 0.8, **timings},
    }
    profile["breakdown"] = step_profile.breakdown(profile)
    return profile


def test_the_products_of_a_step_have_the_shapes_of_backpropagation():
    shapes = step_profile.matmul_shapes(512, SIZES)
    assert shapes["forward"] == [(512, 784, 200), (512, 200, 200), (512, 200, 10)]
    assert shapes["weight_gradients"] == [(784, 512, 200), (200, 512, 200), (200, 512, 10)]
    # No gradient for the images: only the two upper layers pass one down (in layer
    # order: g₂·W₂ᵀ, then g₃·W₃ᵀ).
    assert shapes["input_gradients"] == [(512, 200, 200), (512, 10, 200)]
    weights = 784 * 200 + 200 * 200 + 200 * 10
    counted = step_profile.step_flops(512, SIZES)
    assert counted["forward"] == 2 * 512 * weights
    assert counted["step"] == 2 * 512 * (2 * weights + 200 * 200 + 10 * 200) == 450_150_400


def test_the_shares_add_up_to_the_epoch():
    b = made_up()["breakdown"]
    assert b["steps"] == 100
    expected = {"matmul": 0.25, "other_ops": 0.375, "keras_step": 0.0625,
                "fit_loop": 0.1875, "validation": 0.125}
    assert b["fractions"] == pytest.approx(expected)
    assert b["parts_s"]["fit_loop"] == pytest.approx(0.7 - 0.0055 * 100)
    assert b["total_s"] == pytest.approx(0.8)
    assert b["gap"] == pytest.approx(0, abs=1e-12)


def test_a_slower_epoch_leaves_a_gap_and_a_partial_last_batch_counts_for_its_images():
    b = made_up(epoch_s=1.0)["breakdown"]
    assert b["gap"] == pytest.approx(0.2)
    assert b["fractions"]["matmul"] == pytest.approx(0.2)
    profile = made_up()
    profile["n_train"] = 50_000  # 97.66 batches of 512, as in MNIST1
    b = step_profile.breakdown(profile)
    assert b["parts_s"]["matmul"] == pytest.approx(0.002 * 50_000 / 512)


def test_fractions_of_the_peak_and_the_ceiling():
    b = made_up()["breakdown"]
    assert b["matmul_gflops"] == pytest.approx(450_150_400 / 0.002 / 1e9)
    assert b["matmul_fraction_of_peak"] == pytest.approx(b["matmul_gflops"] / 200)
    nominal = flops.training_flops(SIZES, 51_200, 10_240)
    assert b["fraction_of_peak"] == pytest.approx(nominal / 0.8 / 1e9 / 200)
    # Nothing but the products: 100 training steps and 20 forward-only batches.
    assert b["matmul_only_epoch_s"] == pytest.approx(0.002 * 100 + 0.0008 * 20)
    assert b["ceiling_fraction_of_peak"] == pytest.approx(nominal / 0.216 / 1e9 / 200)
    # The bench's count is the products counted shape by shape, nothing more.
    products = 450_150_400 * 100 + 2 * 512 * (784 * 200 + 200 * 200 + 200 * 10) * 20
    assert nominal == pytest.approx(products)
    assert b["count_over_products"] == pytest.approx(1.0)


@pytest.mark.parametrize("source, expected", [
    ("model.compile(steps_per_execution=1 if torch else 16)", 16),
    ("model.compile(optimizer='adam', steps_per_execution=8)", 8),
    ("model.compile(optimizer='adam')", 1),
])
def test_steps_per_execution_read_from_the_example(source, expected):
    assert step_profile.mnist_steps_per_execution(source) == expected


def test_the_table_shows_each_part_in_french():
    text = "\n".join(report.profile_section(made_up()))
    assert (f"| Produits matriciels du pas, seuls (a) : 3 vers l'avant, 3 gradients des "
            f"poids, 2 gradients des entrées | 2,00{NNBSP}ms | 0,200{NNBSP}s | "
            f"25,0{NNBSP}% |") in text
    assert f"| 0,300{NNBSP}s | 37,5{NNBSP}% |" in text  # other operations
    assert f"| 0,150{NNBSP}s | 18,8{NNBSP}% |" in text  # fit loop: 0.7 − 0.55
    assert f"Validation (d) : 10{NNBSP}240 images, comme `fit` la fait" in text
    assert f"| Somme des postes | — | 0,800{NNBSP}s | 100,0{NNBSP}% |" in text
    assert "médiane de 5" in text
    assert "défaut de TensorFlow (2 cœurs)" in text
    assert (f"| Validation par un simple `evaluate()` (lots refaits à chaque appel) | "
            f"0,150{NNBSP}s |") in text
    assert f"| Validation chronométrée dans `fit` (contrôle de d) | 0,110{NNBSP}s |" in text
    assert "| 16 ; non |" in text
    gflops = report.num(450_150_400 / 0.002 / 1e9, 1)
    assert f"{gflops}{NNBSP}GFLOP/s, soit 112,5{NNBSP}% de la crête" in text


def test_a_negative_difference_keeps_a_true_minus_sign():
    # Noise: the bare step timed faster than its own products.
    text = "\n".join(report.profile_section(made_up(bare_step_s=0.0015)))
    assert (f"| −0,50{NNBSP}ms | −0,050{NNBSP}s | −6,2{NNBSP}% |") in text
    assert not re.search(r"-\d", text)


def test_the_conclusion_follows_the_numbers():
    slow = made_up(peak=1000.0)  # products at 22.5 % of this peak
    assert slow["breakdown"]["ceiling_fraction_of_peak"] < 0.5
    low = report.profile_conclusion(slow)
    assert f"les produits matriciels occupent 25,0{NNBSP}% de l'époque" in low
    assert f"ils tournent à 22,5{NNBSP}% de la crête" in low
    assert "sous l'objectif de 50" in low
    # The other parts, largest first: other operations 37.5 %, fit loop 18.75 %,
    # validation 12.5 %, Keras's step 6.25 %.
    assert (f"Le reste va aux autres opérations du pas (37,5{NNBSP}%), à la boucle de "
            f"`fit` et aux données (18,8{NNBSP}%), à la validation (12,5{NNBSP}%) et au "
            f"suivi des métriques (6,2{NNBSP}%).") in low
    assert "mesure à refaire" not in low

    fast = made_up(matmul_step_s=0.004)  # products 50 %, the other operations 12.5 %
    high = report.profile_conclusion(fast)
    assert fast["breakdown"]["ceiling_fraction_of_peak"] > 0.5
    assert "au-dessus de l'objectif de 50" in high
    assert high.index("à la boucle de `fit`") < high.index("aux autres opérations")

    gap = report.profile_conclusion(made_up(epoch_s=1.0))
    assert f"s'écarte de 20,0{NNBSP}% de l'époque mesurée" in gap


def test_the_section_appears_in_the_report_only_with_a_profile():
    data = {"profile": "full",
            "machine": {"date": "2026-11-29T05:10:57+00:00", "cpu": "AMD EPYC, 2 cœurs",
                        "python": "3.11.7", "versions": {"keras": "3.15.1"}},
            "backends": {"tensorflow": {"error": "échec"}}}
    title = "### Où passe le temps d'un pas d'entraînement de MNIST1"
    assert title not in report.markdown(data)
    data["backends"]["tensorflow"]["step_profile"] = made_up()
    text = report.markdown(data)
    assert title in text
    assert "En bref\u00a0: les produits matriciels" in text  # no-break space before « : »
    data["backends"]["tensorflow"]["step_profile"] = {"error": "RuntimeError : panne"}
    assert "Profil non mesuré\u00a0: RuntimeError\u00a0: panne" in report.markdown(data)
