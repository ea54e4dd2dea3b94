"""Numbers written the French way (core/frenchfmt.py), and written there only: the code
that shows numbers to readers formats none by hand."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from fidle_examples.core import frenchfmt
from fidle_examples.core.frenchfmt import MINUS, NNBSP
from support import ROOT


@pytest.mark.parametrize("value, digits, text", [
    (1234.5678, 3, f"1{NNBSP}234,568"),
    (-1234.5678, 3, f"{MINUS}1{NNBSP}234,568"),
    (-0.5, 2, f"{MINUS}0,50"),
    (0, 3, "0,000"),
    (0.0, 0, "0"),
    (-0.0, 2, "0,00"),
    (-0.0004, 3, "0,000"),  # rounds to zero: no sign
    (-0.4, 0, "0"),
    (-0.6, 0, f"{MINUS}1"),
    (0.0005, 3, "0,001"),  # Python's rounding of the float, not changed
    (1e9, 0, f"1{NNBSP}000{NNBSP}000{NNBSP}000"),
    (-123456789.25, 1, f"{MINUS}123{NNBSP}456{NNBSP}789,2"),
    (999.5, 0, f"1{NNBSP}000"),
])
def test_number(value, digits, text):
    assert frenchfmt.number(value, digits) == text


@pytest.mark.parametrize("value, text", [
    (0.3, "0,3"),
    (0.30000000000000004, "0,3"),
    (-2.0, f"{MINUS}2"),
    (2, "2"),
    (0.0, "0"),
    (-0.0, "0"),
    (0.001, "0,001"),
    (12345.0, f"12{NNBSP}345"),
    (-123456.0, f"{MINUS}123{NNBSP}456"),
    (1e-05, f"1{NNBSP}×{NNBSP}10⁻⁵"),
    (-2.5e-05, f"{MINUS}2,5{NNBSP}×{NNBSP}10⁻⁵"),
    (1234567.0, f"1,23457{NNBSP}×{NNBSP}10⁶"),
])
def test_short(value, text):
    assert frenchfmt.short(value) == text


def test_short_digits_and_html():
    assert frenchfmt.short(3.14159265, 4) == "3,142"
    assert frenchfmt.short(-0.000123456, 2) == f"{MINUS}0,00012"
    assert frenchfmt.short(1e-05, html=True) == f"1{NNBSP}×{NNBSP}10<sup>{MINUS}5</sup>"
    assert frenchfmt.short(2.5e12, html=True) == f"2,5{NNBSP}×{NNBSP}10<sup>12</sup>"
    assert frenchfmt.short(0.5, html=True) == "0,5"


@pytest.mark.parametrize("value", [0.3, -2.0, 12345.0, 1e-05, -2.5e-05, 7.25, -0.001953125])
def test_short_keeps_the_value(value):
    """Read back, the text gives the number Python's "g" gives."""
    text = frenchfmt.short(value).replace(NNBSP, "").replace(",", ".").replace(MINUS, "-")
    mantissa, _, power = text.partition("×10")
    power = power.translate(str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789"))
    assert float(mantissa) * 10 ** int(power or 0) == pytest.approx(float(f"{value:g}"))


@pytest.mark.parametrize("recorded, label, phrase", [
    ("CPU (2 cœurs, AMD EPYC)", "processeur (2\u00a0cœurs, AMD EPYC)",
     "un processeur (2\u00a0cœurs, AMD EPYC)"),
    ("CPU (1 cœurs)", "processeur (1\u00a0cœur)", "un processeur (1\u00a0cœur)"),
    ("NVIDIA H100 80GB HBM3", "NVIDIA H100 80GB HBM3", "un GPU NVIDIA H100 80GB HBM3"),
    ("2 × NVIDIA H100", "2 × NVIDIA H100", "2\u00a0GPU NVIDIA H100"),
    ("", "", "un matériel inconnu"),
])
def test_devices_are_written_processeur_or_gpu(recorded, label, phrase):
    """The recorded device stays a key (« CPU (…) »); readers see « processeur »."""
    assert frenchfmt.device_label(recorded) == label
    assert frenchfmt.device_phrase(recorded) == phrase


def test_versions_name_what_computed():
    versions = {"python": "3.11.7", "numpy": "2.4.6", "keras": "3.15.1",
                "scikit-learn": "1.9.1", "backend": "jax", "jax": "0.10.2"}
    assert frenchfmt.versions_text(versions) == \
        "Keras 3.15.1 sur JAX 0.10.2 (Python 3.11.7, NumPy 2.4.6)"
    assert frenchfmt.versions_text(versions, sklearn=True) == \
        "scikit-learn 1.9.1 et Keras 3.15.1 sur JAX 0.10.2 (Python 3.11.7, NumPy 2.4.6)"
    assert frenchfmt.versions_text(versions, keras=False) == \
        "NumPy 2.4.6 (Python 3.11.7)\u00a0; cet exemple n'utilise pas Keras"
    assert frenchfmt.keras_phrase("torch") == "Keras sur PyTorch"


def test_percent_duration_scientific():
    assert frenchfmt.percent(0.9781) == f"97,8{NNBSP}%"
    assert frenchfmt.percent(-0.062) == f"{MINUS}6,2{NNBSP}%"
    assert frenchfmt.percent(-0.0001) == f"0,0{NNBSP}%"
    assert frenchfmt.duration(0.84) == f"0,8{NNBSP}s"
    assert frenchfmt.duration(0.05) == f"0,1{NNBSP}s"  # below: not "0,0 s", no time at all
    assert frenchfmt.duration(0.0049) == frenchfmt.duration(0) == f"moins de 0,1{NNBSP}s"
    assert frenchfmt.duration(42.4) == f"42{NNBSP}s"
    assert frenchfmt.duration(185) == f"3{NNBSP}min{NNBSP}05{NNBSP}s"
    assert frenchfmt.scientific(1.23e-10) == f"1,2{NNBSP}×{NNBSP}10⁻¹⁰"
    assert frenchfmt.scientific(-4.56e7, 2) == f"{MINUS}4,56{NNBSP}×{NNBSP}10⁷"
    assert frenchfmt.scientific(0) == "0"


# --- no number formatted by hand ----------------------------------------------------------

SCANNED = ("src", "bench", "overrides", "scripts")
EXEMPT = "# frenchfmt-exempt:"
HAND_FORMATTING = re.compile("|".join([
    r"""\.replace\(\s*(['"])\.\1\s*,\s*(['"]),\2\s*\)""",  # .replace(".", ",")
    r"""\.replace\(\s*(['"]),\3\s*,""",  # .replace(",", " "): thousands by hand
    r"""(['"])(?:\\u2212|\\N\{MINUS SIGN\}|−)\4""",  # "−": a minus sign put in by hand
    r"""(?:\\u2212|−)\{""",  # f"−{x}"
]))


def _exempt(lines: list[str], tree: ast.AST, number: int) -> bool:
    """The line, or the line just above the innermost statement holding it (a statement
    over several lines, a string of code written into a notebook), gives a reason."""
    if re.search(re.escape(EXEMPT) + r"\s*\S", lines[number - 1]):
        return True
    holding = [node for node in ast.walk(tree) if isinstance(node, ast.stmt)
               and node.lineno <= number <= node.end_lineno]
    if not holding:
        return False
    start = max(node.lineno for node in holding)
    above = lines[start - 2].strip() if start >= 2 else ""
    return bool(re.match(re.escape(EXEMPT) + r"\s*\S", above))


def hand_formatted(root: Path = ROOT) -> list[str]:
    """["path:line: code"] formatting a number by hand without a reason."""
    found = []
    for folder in SCANNED:
        for path in sorted((root / folder).rglob("*.py")):
            if path.name == "frenchfmt.py" and path.parent.name == "core":
                continue
            text = path.read_text(encoding="utf-8")
            if not HAND_FORMATTING.search(text):
                continue
            lines, tree = text.splitlines(), ast.parse(text)
            for number, line in enumerate(lines, 1):
                if not HAND_FORMATTING.search(line) or _exempt(lines, tree, number):
                    continue
                found.append(f"{path.relative_to(root).as_posix()}:{number}: {line.strip()}")
    return found


def test_numbers_are_formatted_by_frenchfmt_only():
    found = hand_formatted()
    assert found == [], (
        "Nombres mis en forme à la main : passez par fidle_examples.core.frenchfmt "
        f"(number, short, percent...), ou dites pourquoi ({EXEMPT} raison) :\n"
        + "\n".join(found))


def test_the_scan_sees_each_pattern_and_honours_a_reason(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "m.py").write_text("\n".join([
        'a = f"{x:.1f}".replace(".", ",")',
        "b = f'{x:,}'.replace(',', '\\u202f')",
        'c = text.replace("-", "\\u2212")',
        'd = f"−{x}"',
        'e = "−"',
        f'f = str(x).replace(".", ",")  {EXEMPT} a reason',
        f"{EXEMPT} the notebook cannot import the package",
        "g = '''",
        'h = f"{x:.1f}".replace(".", ",")',
        "'''",
        'i = "perte − perte minimale"',
        f'j = str(x).replace(".", ",")  {EXEMPT}',
    ]) + "\n", encoding="utf-8")
    found = hand_formatted(tmp_path)
    assert [line.split(":")[1] for line in found] == ["1", "2", "3", "4", "5", "12"]
