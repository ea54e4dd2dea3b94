"""The notebooks of the examples (docs/carnets/): generated from the package, up to date,
runnable top to bottom in a fresh kernel, and published by the site offline.

The execution and site-build tests are marked slow. All notebooks run concurrently
(three kernels at a time), each in its own fresh kernel: the venv's Python, through a
kernel spec written for the session.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import textwrap
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from fidle_examples.notebooks import code as notebook_code, prose as notebook_prose
from fidle_examples.notebooks import generate as notebooks
from fidle_examples.core import registry
from support import load_hook

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
CARNETS = DOCS / notebooks.NOTEBOOK_DIR
EXAMPLES_SRC = ROOT / "src" / "fidle_examples" / "examples"
SIX = ["linear-regression", "gradient-descent", "polynomial-regression", "logistic-regression",
       "wine", "mnist"]
PAGES = {"linear-regression": "regression-lineaire", "gradient-descent": "descente-de-gradient",
         "polynomial-regression": "regression-polynomiale",
         "logistic-regression": "regression-logistique", "wine": "vin", "mnist": "mnist"}
KERNELS_AT_ONCE = 3


def _cells(name: str) -> list[dict]:
    return json.loads((CARNETS / f"{name}.ipynb").read_text(encoding="utf-8"))["cells"]


def _source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _sections_of(path: Path) -> dict[str, str]:
    """{section: dedented code}, read here with a plain regex, independently of the
    generator."""
    text = path.read_text(encoding="utf-8")
    found = re.findall(r"^[ \t]*# --8<-- \[start:([\w-]+)\]\n(.*?)^[ \t]*# --8<-- \[end:\1\]",
                       text, re.S | re.M)
    return {name: textwrap.dedent(code).strip("\n") for name, code in found}


# --- generated, and up to date -------------------------------------------------------

def test_committed_notebooks_are_what_the_generator_writes():
    stale = notebooks.stale(registry.names(), DOCS, CARNETS)
    assert not stale, ("Carnets pas à jour (le code ou les pages ont changé) : "
                       + ", ".join(p.name for p in stale) + ". Régénérez-les : make notebooks")
    extra = {p.stem for p in CARNETS.glob("*.ipynb")} - set(registry.names())
    assert not extra, f"Carnets sans exemple dans le registre : {sorted(extra)}"


@pytest.mark.parametrize("name", registry.names())
def test_code_cells_are_the_module_sections_in_order(name):
    spec = registry.get(name)
    sections = _sections_of(EXAMPLES_SRC / f"{spec.module}.py")
    code = [_source(c) for c in _cells(name) if c["cell_type"] == "code"]
    shown = [c for c in code if c in sections.values()]
    assert len(shown) == len(sections), (
        f"{name} : chaque section du module doit être une cellule, telle quelle")
    assert all(not c["outputs"] for c in _cells(name) if c["cell_type"] == "code")
    setup = code[0]
    assert f'config = resolve({spec.module}, "quick")' in setup
    assert "set_seed(config.seed)" in setup
    assert "return " not in "\n".join(c for c in code if c not in sections.values())


def test_a_change_in_the_package_shows_in_the_notebook(tmp_path):
    source = (EXAMPLES_SRC / "mnist.py").read_text(encoding="utf-8")
    edited = source.replace('keras.layers.Dense(10, activation="softmax")',
                            'keras.layers.Dense(10, activation="softmax", name="digits")')
    assert edited != source
    (tmp_path / "mnist.py").write_text(edited, encoding="utf-8")
    before = {c.section: c.source for c in notebook_code.read("mnist", EXAMPLES_SRC / "mnist.py").cells}
    after = {c.section: c.source for c in notebook_code.read("mnist", tmp_path / "mnist.py").cells}
    assert 'name="digits"' in after["model"] and 'name="digits"' not in before["model"]
    assert {k: v for k, v in after.items() if k != "model"} == \
        {k: v for k, v in before.items() if k != "model"}


def test_imports_come_from_what_the_cells_use():
    code = notebook_code.read("wine", EXAMPLES_SRC / "wine.py")
    assert "import keras" in code.imports and "import numpy as np" in code.imports
    assert "from fidle_examples.core.datasets import load_wine_quality, split_indices" in code.imports
    assert not any("mnist" in line for line in code.imports)
    assert notebook_code.free_names("def f(a):\n    return a + b\nc = 1\nprint(c, d)") == {"b", "d"}


def test_source_errors_are_reported_in_french(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("def run(config, ctx):\n    x = missing_name\n    return x\n", encoding="utf-8")
    with pytest.raises(notebook_code.NotebookSourceError, match="n'importe ni ne définit"):
        notebook_code.read("broken", path)
    path.write_text("def run(config, ctx):\n    # --8<-- [start:x]\n    if config:\n"
                    "        # --8<-- [end:x]\n        y = 1\n    return y\n", encoding="utf-8")
    with pytest.raises(notebook_code.NotebookSourceError, match="instructions entières"):
        notebook_code.read("broken", path)


# --- explanations from the pages -------------------------------------------------------

@pytest.mark.parametrize("name", SIX)
def test_explanations_come_from_the_example_page(name):
    page = (DOCS / "exemples" / f"{PAGES[name]}.md").read_text(encoding="utf-8")
    labels = re.findall(r"^(\*\*[^*]+\*\*)[^\n]*\n\n```python[^\n]*\n--8<--", page, re.M)
    markdown = "\n\n".join(_source(c) for c in _cells(name) if c["cell_type"] == "markdown")
    assert labels and all(label in markdown for label in labels)
    assert "{{" not in markdown and "fidle:" not in markdown
    assert not re.search(r"^\s*(!!!|\?\?\?|===)", markdown, re.M)
    links = re.findall(r"\]\(([^)]+)\)", markdown)
    for link in links:
        if not re.match(r"[a-z]+:", link):
            target = (CARNETS / link.split("#")[0]).resolve()
            assert target.is_file() or "generated" in link, f"{name} : lien cassé {link}"


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
    out = notebook_prose.to_jupyter(page, "exemples/mnist.md", "carnets/mnist.ipynb")
    assert "[le cours](../cours/introduction.md#supervise) et" in out
    assert "[MNIST](../exemples/mnist.md)" in out
    assert "par lots de `config.batch_size`" in out
    assert '`result.metric("parameters")` paramètres,' in out
    assert "$\\frac{1}{n}$" in out and "$0{,}5$" in out
    assert "> **Attention au test**\n>\n> Un texte.\n>\n> - une liste" in out
    assert "**Onglet**\n\nContenu." in out
    assert not any(s in out for s in ("fidle:", "[^note]", "*[MSE]", "Une note", "{ .md"))


# --- the command -----------------------------------------------------------------------

def test_check_command_finds_a_stale_notebook(tmp_path):
    run = [sys.executable, "-m", "fidle_examples.notebooks.generate", "--docs", str(DOCS),
           "-o", str(tmp_path), "linear-regression"]
    written = subprocess.run(run, capture_output=True, text=True, cwd=tmp_path)
    assert written.returncode == 0 and "linear-regression.ipynb" in written.stdout
    assert subprocess.run(run + ["--check"], capture_output=True, cwd=tmp_path).returncode == 0
    path = tmp_path / "linear-regression.ipynb"
    path.write_text(path.read_text(encoding="utf-8").replace("Mise en place", "Mise"),
                    encoding="utf-8")
    checked = subprocess.run(run + ["--check"], capture_output=True, text=True, cwd=tmp_path)
    assert checked.returncode == 1 and "make notebooks" in checked.stderr
    unknown = subprocess.run(run[:-1] + ["mnits"], capture_output=True, text=True, cwd=tmp_path)
    assert unknown.returncode == 2 and "Exemple inconnu : « mnits »" in unknown.stderr


# --- every notebook runs, top to bottom, in a fresh kernel --------------------------------

@pytest.fixture(scope="module")
def executed(request, tmp_path_factory) -> dict[str, object]:
    """{example: executed notebook, or the exception that stopped it}, for the notebooks
    whose test is selected (all of them unless -k or a node id narrows the run)."""
    from nbclient import NotebookClient

    names = [item.callspec.params["name"] for item in request.session.items
             if item.originalname == "test_notebook_runs_top_to_bottom_in_a_fresh_kernel"]

    home = tmp_path_factory.mktemp("jupyter")
    spec_dir = home / "kernels" / "fidle-examples-test"
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "fidle-examples (venv)", "language": "python"}), encoding="utf-8")
    work = tmp_path_factory.mktemp("kernel-cwd")
    results: dict[str, object] = {}

    async def run(name: str, gate: asyncio.Semaphore) -> None:
        notebook = nbformat.read(CARNETS / f"{name}.ipynb", as_version=4)
        notebook.cells.insert(0, nbformat.v4.new_code_cell("import sys\nprint(sys.executable)"))
        client = NotebookClient(notebook, kernel_name="fidle-examples-test", timeout=600,
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

    previous = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = str(home)
    try:
        asyncio.run(run_all())
    finally:
        if previous is None:
            os.environ.pop("JUPYTER_PATH")
        else:
            os.environ["JUPYTER_PATH"] = previous
    return results


@pytest.mark.slow
@pytest.mark.parametrize("name", registry.names())
def test_notebook_runs_top_to_bottom_in_a_fresh_kernel(executed, name):
    outcome = executed[name]
    assert not isinstance(outcome, Exception), f"Le carnet {name} a échoué :\n{outcome}"
    cells = outcome.cells
    assert cells[0].outputs[0]["text"].strip() == sys.executable
    last_code = [c for c in cells if c.cell_type == "code"][-1]
    svgs = [o for o in last_code.outputs if "image/svg+xml" in o.get("data", {})]
    expected = notebook_code.read(registry.get(name).module,
                                  EXAMPLES_SRC / f"{registry.get(name).module}.py").figures
    assert len(svgs) == len(expected), f"{name} : {len(svgs)} figures pour {len(expected)}"
    printed = "".join(o.get("text", "") for o in last_code.outputs if o["output_type"] == "stream")
    assert re.search(r"^.+ : .+$", printed, re.M), f"{name} : aucune mesure affichée"


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


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site built without training (plugin off): what the notebook pages need from
    the build does not depend on the results, except the figures (tested below)."""
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
         str(ROOT / "mkdocs.yml"), "--site-dir", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
        env={**os.environ, "FIDLE_EXAMPLES_ENABLED": "0"})
    assert proc.returncode == 0, f"mkdocs build --strict a échoué :\n{proc.stderr[-5000:]}"
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", registry.names())
def test_notebook_page_offers_the_download_and_loads_nothing_from_elsewhere(site, name):
    page = site / "carnets" / name / "index.html"
    parsed = _parse(page)
    download = [a for tag, a in parsed.tags if tag == "a" and "fidle-notebook-download"
                in (a.get("class") or "")]
    assert len(download) == 1, f"{name} : pas de bouton de téléchargement"
    copy = page.parent / download[0]["href"]
    assert copy.read_bytes() == (CARNETS / f"{name}.ipynb").read_bytes()
    for tag, attrs in parsed.tags:
        url = attrs.get("src") or (attrs.get("href") if tag != "a" else None)
        assert not url or not re.match(r"(https?:)?//", url), f"{name} : <{tag}> {url}"
        if url and not url.startswith(("data:", "#")):
            assert (page.parent / url.split("#")[0]).resolve().exists(), f"{name} : {url}"
    joined = "\n".join(parsed.scripts).lower()
    assert "mathjax" not in joined and "mermaid" not in joined and "cdnjs" not in joined
    html = page.read_text(encoding="utf-8")
    assert "jupyter.css" in html and len(html) < 200_000  # the 575 kB sheet is shared
    assert "$" not in re.sub(r"<(pre|code|script|style)\b.*?</\1>", "", html, flags=re.S) \
        .split('class="jupyter-wrapper"')[-1], f"{name} : formule laissée en TeX brut"


@pytest.mark.slow
@pytest.mark.parametrize("name", SIX)
def test_example_page_links_to_its_notebook(site, name):
    page = site / "exemples" / PAGES[name] / "index.html"
    hrefs = [a.get("href", "") for tag, a in _parse(page).tags if tag == "a"]
    opened = [h for h in hrefs if h.rstrip("/").endswith(f"carnets/{name}")]
    downloads = [h for h in hrefs if h.endswith(f"{name}.ipynb")]
    assert opened and (page.parent / opened[0] / "index.html").resolve().is_file()
    assert downloads and (page.parent / downloads[0]).resolve().is_file()


def test_site_figures_point_at_the_plugin_files():
    """The last cell shows the figures the fidle-examples plugin writes at build time
    (generated/NAME/FIGURE.svg, see mkdocs_plugin.FIGURES_DIR)."""
    from fidle_examples.plugin import FIGURES_DIR

    for name in registry.names():
        spec = registry.get(name)
        figures = notebook_code.read(spec.module, EXAMPLES_SRC / f"{spec.module}.py").figures
        last = _source(_cells(name)[-1])
        for figure, _ in figures:
            assert f"](../{FIGURES_DIR}/{name}/{figure}.svg)" in last


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
