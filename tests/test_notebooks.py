"""The notebooks of the examples (docs/carnets/): generated from the package, up to date,
runnable top to bottom where the course's package is not installed, and published by
the site offline.

The execution and site tests are marked slow. The notebooks run two kernels at a time,
one thread each (on 2 cores, more kernels or threads only fight for them), each in its
own fresh kernel: the venv's Python, started outside the project, where importing
fidle_examples fails (an IPython start-up file blocks it), with the datasets of
../shared/datasets (KERAS_HOME, set by conftest.py, points at a copy). The site tests
read the session's one build of the site (conftest.py `built_site`).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import math
import re
import subprocess
import sys
import textwrap
from html.parser import HTMLParser
from importlib.metadata import version
from pathlib import Path

import nbformat
import pytest

from fidle_examples.core import reference, registry, runner
from fidle_examples.notebooks import code as notebook_code, comparison, prose as notebook_prose
from fidle_examples.notebooks import generate as notebooks
from support import load_hook

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
CARNETS = DOCS / notebooks.NOTEBOOK_DIR
EXAMPLES_SRC = ROOT / "src" / "fidle_examples" / "examples"
NAMES = notebooks.notebook_names()
SIX = ["linear-regression", "gradient-descent", "polynomial-regression", "logistic-regression",
       "wine", "mnist"]
KERNELS_AT_ONCE = 2
# One thread per kernel: BLAS, OpenMP and TensorFlow's two pools.
KERNEL_THREADS = {name: "1" for name in (
    "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")}
INSTALL = re.compile(r"^%pip install --quiet (?P<pins>[^\n]+)$", re.M)


def _cells(name: str) -> list[dict]:
    return json.loads((CARNETS / f"{name}.ipynb").read_text(encoding="utf-8"))["cells"]


def _source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _code(name: str) -> list[str]:
    return [_source(c) for c in _cells(name) if c["cell_type"] == "code"]


def _sections_of(path: Path) -> dict[str, str]:
    """{section: dedented code}, read here with a plain regex, independently of the
    generator."""
    text = path.read_text(encoding="utf-8")
    found = re.findall(r"^[ \t]*# --8<-- \[start:([\w-]+)\]\n(.*?)^[ \t]*# --8<-- \[end:\1\]",
                       text, re.S | re.M)
    return {name: textwrap.dedent(code).strip("\n") for name, code in found}


# --- generated, and up to date -------------------------------------------------------

def test_committed_notebooks_are_what_the_generator_writes():
    stale = notebooks.stale(NAMES, DOCS, CARNETS)
    assert not stale, ("Carnets pas à jour (le code, les pages ou les résultats de référence "
                       "ont changé) : " + ", ".join(p.name for p in stale)
                       + ". Régénérez-les : make notebooks")
    extra = {p.stem for p in CARNETS.glob("*.ipynb")} - set(NAMES)
    assert not extra, f"Carnets sans exemple dans le registre : {sorted(extra)}"
    figures = [s.name for s in registry.EXAMPLES if s.kind == registry.CHAPTER_FIGURES]
    assert figures and not set(figures) & set(NAMES)  # the course figures have none


@pytest.mark.parametrize("name", NAMES)
def test_notebook_needs_nothing_but_what_it_installs(name):
    code = _code(name)
    assert not any("fidle_examples" in c for c in code), f"{name} : le carnet cite le paquet"
    assert not any(re.search(r"\b(ctx|config)\b", c) for c in code[1:])
    pins = INSTALL.search(code[0])
    assert pins and code[0].lstrip().startswith("# Colab"), "la 1re cellule installe tout"
    locked = dict(line.split("==") for line in
                  (ROOT / "requirements.lock").read_text(encoding="utf-8").split()
                  if "==" in line)
    for pin in pins["pins"].split():
        package, wanted = pin.split("==")
        assert locked[package] == wanted == version(package), pin
    imported = notebook_code.imported_modules("\n".join(code[1:]))
    installed = {p.split("==")[0] for p in pins["pins"].split()}
    assert ("keras" in imported) == ({"keras", "tensorflow"} <= installed)
    assert ("sklearn" in imported) == ("scikit-learn" in installed)


@pytest.mark.parametrize("name", NAMES)
def test_lesson_cells_are_the_page_sections_in_page_order(name):
    """Each section the page shows is a cell: its lines as on the page, except what only
    served the course's runner (lines with ctx or a config parameter) and config.x
    written X."""
    spec = registry.get(name)
    page = (DOCS / spec.page).read_text(encoding="utf-8")
    shown = re.findall(r'--8<-- "src/fidle_examples/examples/(\w+\.py):([\w-]+)"', page)
    code = _code(name)
    positions = []
    for file, section in dict.fromkeys(shown):
        text = _sections_of(EXAMPLES_SRC / file)[section]
        expected = [re.sub(r"\bconfig\.(\w+)", lambda m: m[1].upper(), line)
                    for line in text.split("\n")
                    if not re.search(r"\bctx\b|\bconfig\b(?!\.)", line)]
        found = [i for i, cell in enumerate(code) if _subsequence(expected, cell.split("\n"))]
        assert found, f"{name} : la section {file}:{section} n'est dans aucune cellule"
        positions.append(found[0])
    assert positions == sorted(positions), f"{name} : les sections ne suivent pas la page"
    assert not any(c["outputs"] for c in _cells(name) if c["cell_type"] == "code")


def _subsequence(wanted: list[str], lines: list[str]) -> bool:
    """Whether `wanted` are lines of `lines`, in order; the commas and brackets that close
    a line may differ (the arguments after it were taken out)."""
    def loose(line: str) -> tuple[str, str]:
        code, _, comment = line.partition("  #")
        return code.rstrip(",) "), comment

    rest = iter(map(loose, lines))
    return all(any(line == loose(w) for line in rest) for w in wanted)


def test_setup_cell_writes_the_profiles_in():
    setup = _code("mnist")[1]
    full, quick = (registry.get("mnist").load().PROFILES[p] for p in ("full", "quick"))
    assert 'PROFILE = "quick"' in setup and 'FULL = PROFILE == "full"' in setup
    assert f"EPOCHS = {full.epochs} if FULL else {quick.epochs}" in setup
    assert "VALIDATION_FRACTION = 1 / 6" in setup  # as the module writes it
    assert "keras.utils.set_random_seed(SEED)" in setup
    scope: dict = {}
    exec(setup.replace("import keras\n", "").split("keras.utils")[0], scope)
    assert (scope["EPOCHS"], scope["TRAIN_SIZE"]) == (quick.epochs, quick.train_size)


def test_imports_run_makes_only_for_their_cost_go_to_the_setup_cell(tmp_path):
    """run()'s imports are left out of its cells; those whose names run() never reads
    (svm-vs-dnn loads scikit-learn before its first clock) are made in the set-up cell,
    so that the notebook times what the package times."""
    assert "import sklearn.svm" in _code("svm-vs-dnn")[1]
    path = tmp_path / "essai.py"
    path.write_text(textwrap.dedent("""
        def run(config, ctx):
            import keras
            import sklearn.svm
            from scipy import linalg as la
            import json  # read below: not eager
            import numpy.linalg as nla  # read under its alias: not eager
            import math  # read in inner() only: not eager
            import csv, os  # csv unread, os read
            from . import helpers  # relative: never in a notebook
            from fidle_examples.core import plots  # the package: never in a notebook
            x = keras.ops.ones(3) + nla.norm([1.0]) + len(os.sep)
            def inner():
                import os  # not in run()'s own body
                return math.pi
            return Result(metrics={"n": json.dumps(x)})
    """), encoding="utf-8")
    module = notebook_code.read_module("essai", path)
    assert notebook_code.eager_imports(module) == {
        line + notebook_code.EAGER_COMMENT
        for line in ("import sklearn.svm", "from scipy import linalg as la", "import csv")}
    cells = "\n".join(p.source for p in notebook_code.run_pieces(module))
    assert "import os" in cells  # inside inner(), kept with it
    assert not any(line in cells for line in ("import keras", "import sklearn", "scipy",
                                              "import json"))


# --- the rewriting of run()'s code ------------------------------------------------------

def test_rewrite_takes_out_the_runner_and_keeps_the_layout():
    before = textwrap.dedent('''\
        def train(x, config: Config, ctx: RunContext, on_epoch=None):
            best = ctx.workdir / "best.keras"
            model = ctx.reuse_traced(model)  # the runner's, without it the model itself
            callbacks = ctx.callbacks(config.epochs)
            history = model.fit(x, epochs=config.epochs,
                                validation_batch_size=10,  # one step
                                verbose=ctx.verbose)
            model.fit(x, callbacks=[keep, *ctx.callbacks(config.epochs)],
                      verbose=ctx.verbose)
            for h in [history]:
                ctx.check_finite(h)
            return train_once(config, 3, ctx)
        ''')
    after = notebook_code.rewrite(before, {"epochs"}, "test")
    assert after == textwrap.dedent('''\
        def train(x, on_epoch=None):
            best = Path(tempfile.mkdtemp()) / "best.keras"
            callbacks = []
            history = model.fit(x, epochs=EPOCHS,
                                validation_batch_size=10)  # one step
            model.fit(x, callbacks=[keep])
            return train_once(3)
        ''')


def test_run_ends_with_the_metrics_and_drops_what_only_fed_the_figures():
    module = notebook_code.read_module("mnist", EXAMPLES_SRC / "mnist.py")
    pieces = notebook_code.run_pieces(module)
    assert [p.section for p in pieces if p.section] == ["data", "model", "train", "evaluate"]
    assert pieces[-1].section is None and all(p.in_run for p in pieces)
    last = pieces[-1].source
    assert "return" not in last and re.search(r"^metrics = \{", last, re.M)
    cut = notebook_code.drop_unused(notebook_code.Piece(
        "# for the figure\ncurve = f(x)\nkept = g(x)\nmetrics = {'a': kept}", "x.py",
        in_run=True), {"metrics"})
    assert cut.source == "kept = g(x)\nmetrics = {'a': kept}"


def test_a_change_in_the_package_shows_in_the_notebook(tmp_path):
    source = (EXAMPLES_SRC / "mnist.py").read_text(encoding="utf-8")
    edited = source.replace('keras.layers.Dense(10, activation="softmax")',
                            'keras.layers.Dense(10, activation="softmax", name="digits")')
    assert edited != source
    (tmp_path / "mnist.py").write_text(edited, encoding="utf-8")
    before, after = ({p.section: p.source for p in notebook_code.run_pieces(
        notebook_code.read_module("mnist", folder / "mnist.py"))}
        for folder in (EXAMPLES_SRC, tmp_path))
    assert 'name="digits"' in after["model"] and 'name="digits"' not in before["model"]
    assert {k: v for k, v in after.items() if k != "model"} == \
        {k: v for k, v in before.items() if k != "model"}


def test_source_errors_are_reported_in_french(tmp_path):
    with pytest.raises(notebook_code.NotebookSourceError, match="ne sait pas l'écrire"):
        notebook_code.rewrite("x = ctx.example\n", set(), "test")
    # Only `model = ctx.reuse_traced(model)` means « the model itself » without the runner.
    for line in ("other = ctx.reuse_traced(model)\n", "model = ctx.reuse_traced(model, 1)\n"):
        with pytest.raises(notebook_code.NotebookSourceError, match="ne sait pas l'écrire"):
            notebook_code.rewrite(line, set(), "test")
    with pytest.raises(notebook_code.NotebookSourceError, match="n'est pas un champ"):
        notebook_code.rewrite("x = config.missing\n", {"epochs"}, "test")
    with pytest.raises(notebook_code.NotebookSourceError, match="config"):
        notebook_code.rewrite("settings = config\n", {"epochs"}, "test")
    path = tmp_path / "broken.py"
    path.write_text("def run(config, ctx):\n    # --8<-- [start:x]\n    if config:\n"
                    "        # --8<-- [end:x]\n        y = 1\n    return Result(metrics={})\n",
                    encoding="utf-8")
    with pytest.raises(notebook_code.NotebookSourceError, match="instructions entières"):
        notebook_code.run_pieces(notebook_code.read_module("broken", path))


# --- the comparison with the site's reference -----------------------------------------------

def _run_closing_cell(code: str, metrics: dict, profile: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(code, {"metrics": metrics, "PROFILE": profile})
    return out.getvalue()


def test_the_reference_ranges_are_written_in(tmp_path, monkeypatch):
    module = registry.get("linear-regression").load()
    monkeypatch.setenv(reference.ENV_DIR, str(tmp_path))
    text, code = comparison.cell("linear-regression", module)
    assert "REFERENCE = {}" in code
    printed = _run_closing_cell(code, {k: 1.0 for k in module.METRICS}, "full")
    assert printed.startswith("Comparaison indisponible")

    runs = [{"seed": s, "metrics": {k: v for k, v in zip(module.METRICS, values)},
             "history": {}} for s, values in ((1, [3.9] * 6), (2, [4.1] * 6), (3, [4.0] * 6))]
    reference.save(reference.Reference("linear-regression", "full", [1, 2, 3], {}, runs),
                   tmp_path)
    text, code = comparison.cell("linear-regression", module)
    assert "3 graines" in text and "profil complet" in text
    assert '"slope": (3.9, 4.0, 4.1),' in code
    metrics = dict.fromkeys(module.METRICS, 4.05)
    metrics.update(slope=3.0, intercept=5.0)
    printed = _run_closing_cell(code, metrics, "full").split("\n")
    label = module.METRICS["slope"].label
    assert f"{label} : 3,000 : en dessous (site : de 3,900 à 4,100, médiane 4,000)" in printed
    assert any(line.endswith("au-dessus (site : de 3,900 à 4,100, médiane 4,000)")
               and line.startswith(module.METRICS["intercept"].label) for line in printed)
    assert sum("dans la plage" in line for line in printed) == len(module.METRICS) - 2
    assert _run_closing_cell(code, metrics, "quick").startswith("Profil rapide")


def test_labels_follow_the_settings_and_durations_are_not_compared():
    assert comparison._label("MSE, degré {max_degree}", {"max_degree"}) == \
        'f"MSE, degré {MAX_DEGREE}"'
    assert comparison._label("{sizes[1]} images", {"sizes"}) == 'f"{SIZES[1]} images"'
    assert comparison._label("{other} ou {{", {"sizes"}) == '"{other} ou {{"'
    module = registry.get("svm-vs-dnn").load()
    durations = [k for k, m in module.METRICS.items() if comparison.is_duration(k, m)]
    assert "svm_seconds_1" in durations and "svm_accuracy_1" not in durations


# --- explanations from the pages -------------------------------------------------------

@pytest.mark.parametrize("name", SIX)
def test_explanations_come_from_the_example_page(name):
    page = (DOCS / registry.get(name).page).read_text(encoding="utf-8")
    labels = re.findall(r"^(\*\*[^*]+\*\*)[^\n]*\n\n```python[^\n]*\n--8<--", page, re.M)
    markdown = "\n\n".join(_source(c) for c in _cells(name) if c["cell_type"] == "markdown")
    assert labels and all(label in markdown for label in labels)
    assert "{{" not in markdown and "fidle:" not in markdown
    assert not re.search(r"^\s*(!!!|\?\?\?|===)", markdown, re.M)
    for link in re.findall(r"\]\(([^)]+)\)", markdown):
        if not re.match(r"[a-z]+:", link):
            target = (CARNETS / link.split("#")[0]).resolve()
            assert target.is_file(), f"{name} : lien cassé {link}"


def test_mkdocs_syntax_becomes_plain_markdown():
    page = textwrap.dedent("""\
        Voir [le cours](../cours/introduction.md#supervise){ .md-button } et
        [MNIST](mnist.md), par lots de {{ fidle:config mnist/batch_size }}
        soit {{ fidle:metric mnist/parameters }} paramètres[^note], $\\frac{1}{n}$, $0{,}5$.

        !!! warning "Attention au test"
            Un texte.

            - une liste

        === "Onglet"
            Contenu.

        {{ fidle:results mnist }}

        *[MSE]: Mean squared error
        [^note]: Une note.
        """)

    def render(marker):
        return {"config": "`BATCH_SIZE`", "metric": '`metrics["parameters"]`'}.get(
            marker.kind, "")

    out = notebook_prose.to_jupyter(page, "exemples/mnist.md", "carnets/mnist.ipynb", render)
    assert "[le cours](../cours/introduction.md#supervise) et" in out
    assert "[MNIST](../exemples/mnist.md)" in out
    assert "par lots de `BATCH_SIZE`" in out
    assert '`metrics["parameters"]` paramètres,' in out
    assert "$\\frac{1}{n}$" in out and "$0{,}5$" in out
    assert "> **Attention au test**\n>\n> Un texte.\n>\n> - une liste" in out
    assert "**Onglet**\n\nContenu." in out
    assert not any(s in out for s in ("fidle:", "[^note]", "*[MSE]", "Une note", "{ .md"))


# --- the command -----------------------------------------------------------------------

def test_check_command_finds_a_stale_notebook(tmp_path, capsys):
    """`python -m fidle_examples.notebooks`: once as a command (its exit code), then its
    main() in this process for each case."""
    args = ["--docs", str(DOCS), "-o", str(tmp_path)]
    written = subprocess.run([sys.executable, "-m", "fidle_examples.notebooks", *args,
                              "linear-regression"], capture_output=True, text=True, cwd=tmp_path)
    assert written.returncode == 0 and "linear-regression.ipynb" in written.stdout

    def main(*extra: str) -> tuple[int, str]:
        code = notebooks.main([*args, *extra])
        return code, capsys.readouterr().err

    assert main("linear-regression", "--check")[0] == 0
    path = tmp_path / "linear-regression.ipynb"
    path.write_text(path.read_text(encoding="utf-8").replace("Mise en place", "Mise"),
                    encoding="utf-8")
    code, err = main("linear-regression", "--check")
    assert code == 1 and "make notebooks" in err
    code, err = main("mnits")
    assert code == 2 and "Exemple inconnu : « mnits »" in err
    code, err = main("course-figures")
    assert code == 2 and "n'a pas de carnet" in err


# --- every notebook runs, top to bottom, without the package --------------------------

# IPython runs this start-up file in each test kernel: a learner's Jupyter or Colab has
# no fidle_examples, so the kernel must not find it either (the venv has it installed).
_BLOCKER = '''\
import sys


class _NoCoursePackage:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name == "fidle_examples" or name.startswith("fidle_examples."):
            raise ModuleNotFoundError(f"No module named {name!r} (blocked by the tests)",
                                      name=name)
        return None


sys.meta_path.insert(0, _NoCoursePackage)
'''
_PROBE = '''\
import sys
try:
    import fidle_examples
    print("fidle_examples importable")
except ImportError:
    print("fidle_examples blocked")
print(sys.executable)'''


@pytest.fixture(scope="module")
def executed(request, tmp_path_factory) -> dict[str, object]:
    """{example: executed notebook, or the exception that stopped it}, for the notebooks
    whose test is selected (all of them unless -k or a node id narrows the run)."""
    from nbclient import NotebookClient

    names = [item.callspec.params["name"] for item in request.session.items
             if item.originalname == "test_notebook_runs_without_the_package"]
    home = tmp_path_factory.mktemp("jupyter")
    startup = home / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-block-fidle-examples.py").write_text(_BLOCKER, encoding="utf-8")
    spec_dir = home / "kernels" / "fidle-notebook-test"
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "venv, sans fidle_examples", "language": "python",
        "env": {"IPYTHONDIR": str(home / "ipython"), **KERNEL_THREADS}}), encoding="utf-8")
    work = tmp_path_factory.mktemp("kernel-cwd")  # outside the project
    results: dict[str, object] = {}

    async def run(name: str, gate: asyncio.Semaphore) -> None:
        notebook = nbformat.read(CARNETS / f"{name}.ipynb", as_version=4)
        # No network here: the %pip cell is not run. What it would install is checked
        # above (test_notebook_needs_nothing_but_what_it_installs): the same versions
        # as this venv's, which the kernel uses.
        assert INSTALL.search(notebook.cells[1].source)
        notebook.cells[1].source = "# %pip install: skipped by the tests (offline)"
        notebook.cells.insert(0, nbformat.v4.new_code_cell(_PROBE))
        notebook.cells.append(nbformat.v4.new_code_cell(
            "import json\nprint(json.dumps({k: float(v) for k, v in metrics.items()}))"))
        client = NotebookClient(notebook, kernel_name="fidle-notebook-test", timeout=1200,
                                resources={"metadata": {"path": str(work)}})
        async with gate:
            try:
                await client.async_execute()
                results[name] = notebook
            except Exception as error:  # reported by the test of that notebook
                results[name] = error

    async def run_all() -> None:
        gate = asyncio.Semaphore(KERNELS_AT_ONCE)
        await asyncio.gather(*(run(name, gate) for name in names))

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_PATH", str(home))
        asyncio.run(run_all())
    return results


def _printed(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o["output_type"] == "stream")


@pytest.mark.slow
@pytest.mark.trains
@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_without_the_package(executed, name):
    outcome = executed[name]
    assert not isinstance(outcome, Exception), f"Le carnet {name} a échoué :\n{outcome}"
    cells = [c for c in outcome.cells if c.cell_type == "code"]
    assert _printed(cells[0]).split("\n")[:2] == ["fidle_examples blocked", sys.executable]
    assert 'PROFILE = "quick"' in cells[2].source  # the set-up cell, as committed
    module = registry.get(name).load()
    metrics = json.loads(_printed(cells[-1]))
    assert set(metrics) == set(module.METRICS) and all(map(math.isfinite, metrics.values()))
    figures = [o for c in cells for o in c.outputs if "image/png" in o.get("data", {})]
    assert figures, f"{name} : aucune figure"
    closing = _printed(cells[-2])
    lines = closing.strip().split("\n")[-len(module.METRICS):]
    for line, (key, metric) in zip(lines, module.METRICS.items()):
        # Labels may name a setting (« {sizes[0]} images »): the notebook writes its value.
        assert line.startswith(metric.label.split("{")[0]) and " : " in line, key
    ref = reference.load(name)
    if ref is None:
        assert closing.startswith("Comparaison indisponible")
    else:
        assert closing.startswith("Profil rapide")
        compared = [k for k, m in module.METRICS.items() if not comparison.is_duration(k, m)
                    and k in ref.runs[0]["metrics"]]
        assert sum(bool(re.search(r" : (dans la plage|en dessous|au-dessus) \(site : ", line))
                   for line in closing.split("\n")) == len(compared)
    if not module.DATASETS and "keras" not in notebook_code.imported_modules(
            "\n".join(c.source for c in cells)):
        # NumPy only: the notebook's numbers are exactly those of the package's run.
        spec, example, config = runner.prepare(name, "quick")
        expected = runner.execute(spec, example, config, "quick", verbose=0).metrics
        assert metrics == pytest.approx(expected, rel=1e-9, abs=1e-12)


# --- on the site ----------------------------------------------------------------------

class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self._script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._script = tag == "script"

    def handle_data(self, data):
        if self._script:
            self.scripts.append(data)

    def handle_endtag(self, tag):
        self._script = False


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_notebook_page_offers_the_download_and_loads_nothing_from_elsewhere(built_site, name):
    page = built_site / "carnets" / name / "index.html"
    parsed = _parse(page)
    download = [a for tag, a in parsed.tags if tag == "a" and "fidle-notebook-download"
                in (a.get("class") or "")]
    assert len(download) == 1, f"{name} : pas de bouton de téléchargement"
    copy = page.parent / download[0]["href"]
    assert copy.read_bytes() == (CARNETS / f"{name}.ipynb").read_bytes()
    for tag, attrs in parsed.tags:
        if tag == "link" and (attrs.get("rel") or "").split() == ["canonical"]:
            continue  # the page's published address (site_url): named, never loaded
        url = attrs.get("src") or (attrs.get("href") if tag != "a" else None)
        assert not url or not re.match(r"(https?:)?//", url), f"{name} : <{tag}> {url}"
        if url and not url.startswith(("data:", "#")):
            assert (page.parent / url.split("#")[0]).resolve().exists(), f"{name} : {url}"
    joined = "\n".join(parsed.scripts).lower()
    assert "mathjax" not in joined and "mermaid" not in joined and "cdnjs" not in joined
    html = page.read_text(encoding="utf-8")
    # The 575 kB sheet is shared, not inlined: the longest notebook (backpropagation,
    # 21 kB of .ipynb, its code highlighted) makes a page of about 215 kB.
    assert "jupyter.css" in html and len(html) < 300_000
    assert "$" not in re.sub(r"<(pre|code|script|style)\b.*?</\1>", "", html, flags=re.S) \
        .split('class="jupyter-wrapper"')[-1], f"{name} : formule laissée en TeX brut"


@pytest.mark.slow
@pytest.mark.parametrize("name", SIX)
def test_example_page_links_to_its_notebook(built_site, name):
    page = built_site / registry.get(name).page.removesuffix(".md") / "index.html"
    hrefs = [a.get("href", "") for tag, a in _parse(page).tags if tag == "a"]
    opened = [h for h in hrefs if h.rstrip("/").endswith(f"carnets/{name}")]
    downloads = [h for h in hrefs if h.endswith(f"{name}.ipynb")]
    assert opened and (page.parent / opened[0] / "index.html").resolve().is_file()
    assert downloads and (page.parent / downloads[0]).resolve().is_file()


def _hook():
    return load_hook("notebook_pages")


def test_hook_makes_a_notebook_page_fit_the_offline_site(tmp_path):
    from types import SimpleNamespace

    from mkdocs.config import load_config
    from mkdocs.exceptions import PluginError
    from mkdocs.structure.files import File, Files
    from mkdocs_jupyter.plugin import NotebookFile

    hook = _hook()
    config = load_config(str(ROOT / "mkdocs.yml"), site_dir=str(tmp_path))
    config.plugins._current_plugin = "test"  # set by MkDocs while an event runs
    notebook = NotebookFile(File("carnets/mnist.ipynb", str(DOCS), str(tmp_path), True),
                            use_directory_urls=True, site_dir=str(tmp_path))
    files = Files([notebook, File("exemples/mnist.md", str(DOCS), str(tmp_path), True),
                   File.generated(config, "generated/mnist/loss.svg", content=b"<svg/>")])
    files = hook.on_files(files, config)
    assert files.get_file_from_path("carnets/mnist/mnist.ipynb").abs_src_path == \
        notebook.abs_src_path  # the download, a file the pages can link to
    page = SimpleNamespace(file=notebook)
    html = ('<script src=""> </script><script type="text/x-mathjax-config">MathJax</script>'
            '<style type="text/css">' + hook._jupyter_assets()[0] + '</style>'
            '<p>Soit $a &lt; b$ :</p><p>$$\n\\frac{1}{n}\n$$</p><pre>x = "$y$"</pre>'
            '<a href="../exemples/mnist.md#le-code">page</a>'
            '<img alt="a" src="../generated/mnist/loss.svg"/><img alt="b" src="../generated/mnist/gone.svg"/>'
            '<span class="notice" hidden>Copied!</span>')
    out = hook.on_page_content(html, page, config, files)
    assert "<script" not in out and "MathJax" not in out
    assert out.startswith('<link rel="stylesheet" href="../../assets/stylesheets/jupyter.css">')
    assert len(out) < 2000  # the 575 kB sheet is not inlined any more
    assert '<span class="arithmatex">\\(a &lt; b\\)</span>' in out
    assert '<div class="arithmatex">\\[\n\\frac{1}{n}\n\\]</div>' in out
    assert '<pre>x = "$y$"</pre>' in out
    assert 'href="../../exemples/mnist/#le-code"' in out
    assert 'src="../../generated/mnist/loss.svg"' in out
    assert "gone.svg" not in out and "Figure non produite" in out
    assert "Copié !" in out
    with pytest.raises(PluginError, match="hors ligne"):
        hook.on_page_content('<img src="https://example.org/x.png">', page, config, files)
