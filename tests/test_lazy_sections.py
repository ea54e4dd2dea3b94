"""Long pages' later sections (overrides/hooks/lazy_sections.py): the page reads
without JavaScript, nothing is lost, the print page is left whole, and the
chapters stay within an HTML budget."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from support import load_hook, training_started

lazy = load_hook("lazy_sections")
katex = load_hook("katex_prerender")

# The chapters weighed 420-480 kB of HTML before (issue 23); 200-265 kB after.
CHAPTER_BUDGET = 300_000
LAZY_SCRIPT = re.compile(r"<script[^>]*lazy-math\.js")  # the script, not its name in a text


def formula(tex: str, display: bool = False) -> str:
    tag = "div" if display else "span"
    return f'<{tag} class="arithmatex">{katex.render(tex, display)}</{tag}>'


def test_top_level_blocks_skip_what_is_nested_or_raw():
    body = ('<h2 id="a">A</h2>\n<p>x <span>y</span></p><img src="a.svg">'
            '<div><h2>not top</h2><br></div><pre><code><p>raw</code></pre>')
    tags = [tag for _, _, tag in lazy.top_level_blocks(body)]
    assert tags == ["h2", "p", "img", "div", "pre"]
    with pytest.raises(ValueError):
        lazy.top_level_blocks("<div><p>never closed</div>")


def test_sections_are_wrapped_between_headings_which_stay_outside():
    body = ("<p>first screen</p>" + "".join(f'<h2 id="s{i}">S{i}</h2><p>text {i}</p><p>more</p>'
                                            for i in range(3)))
    out = lazy.wrap_sections(body, body.index('<h2 id="s1"'))
    assert out.count('<div class="fidle-lazy"') == 2
    assert '<p>text 0</p><p>more</p><h2 id="s1">S1</h2><div class="fidle-lazy"' in out
    assert re.sub(r'<div class="fidle-lazy"[^>]*>|</div>', "", out) == body  # nothing lost
    assert re.search(r'contain-intrinsic-size:auto \d+px', out)


def test_a_style_sheet_or_a_script_gets_no_block_nor_height():
    """mkdocs-jupyter writes its style sheet after the notebook: it once got a lazy block
    estimated at 1 450 px, a blank the reader scrolled through."""
    css = "<style>" + "p { color: red; }\n" * 400 + "</style>"
    body = ('<p>first screen</p><h2 id="s1">S1</h2><p>text</p>' + css
            + "<script>var x = 1;</script>")
    out = lazy.wrap_sections(body, body.index('<h2 id="s1"'))
    assert out.count('<div class="fidle-lazy"') == 1
    assert out.endswith("</div>" + css + "<script>var x = 1;</script>")  # left outside
    alone = '<p>a</p><h2 id="s">S</h2>' + css
    assert lazy.wrap_sections(alone, alone.index("<h2")) == alone
    assert lazy.estimated_height("<p>text</p>" + css) == lazy.estimated_height("<p>text</p>")


def test_later_formulas_keep_their_mathml_and_give_their_drawing():
    inline, display = formula(r"\sigma(z)"), formula(r"\frac{1}{1+e^{-z}}", display=True)
    page = f"<p>{inline}</p><p>later {inline}</p>{display}"
    first = page.index("later")
    out, drawings = lazy.lazy_math(page, first)
    assert out.startswith(f"<p>{inline}</p>")  # before `first`: as KaTeX wrote it
    assert len(drawings) == 2 and out.count("data-fidle-math") == 2
    assert out.count("<math") == 3 and "katex-html" not in out[first:]
    for drawing in drawings:
        assert '<span class="katex-mathml"></span>' in drawing and "<math" not in drawing
    # Putting each MathML back into its drawing gives KaTeX's markup again.
    for number, drawing in enumerate(drawings):
        element = re.search(rf'<(span|div) class="arithmatex" data-fidle-math="{number}">'
                            r"(<math.*?</math>)</\1>", out, re.S)
        rebuilt = drawing.replace('<span class="katex-mathml"></span>',
                                  f'<span class="katex-mathml">{element[2]}</span>')
        assert rebuilt in (katex.render(r"\sigma(z)", False),
                           katex.render(r"\frac{1}{1+e^{-z}}", True))


def test_svg_figures_get_their_size(tmp_path):
    (tmp_path / "f.svg").write_text('<?xml version="1.0"?>\n<svg width="460.8pt" '
                                    'height="345.6pt" viewBox="0 0 460.8 345.6"></svg>')
    html = lazy.sized_images('<img src="f.svg" alt="x" loading="lazy"><img src="g.svg">',
                             tmp_path)
    assert '<img src="f.svg" alt="x" loading="lazy" width="614" height="461" ' \
           'decoding="async">' in html
    assert '<img src="g.svg">' in html  # no such file: left alone


def test_formulas_file_sits_beside_the_page():
    assert lazy.formulas_name("cours/svm/index.html") == "cours/svm/formules.js"
    assert lazy.formulas_name("index.html") == "formules.js"
    assert lazy.formulas_name("a/page.html") == "a/page.formules.js"


# --- on the built site -----------------------------------------------------------------

@pytest.fixture(scope="module")
def site(site_build) -> Path:
    """The session's one build of the project (conftest.py), read only."""
    assert not training_started(site_build.log), "the session cache was not used"
    return site_build.path


@pytest.mark.slow
def test_chapters_html_within_budget(site):
    sizes = {p.parent.name: p.stat().st_size for p in (site / "cours").glob("*/index.html")}
    assert sizes, "aucun chapitre construit"
    over = {name: size for name, size in sizes.items() if size > CHAPTER_BUDGET}
    assert not over, f"chapitres au-delà de {CHAPTER_BUDGET // 1000} ko de HTML : {over}"


@pytest.mark.slow
def test_lazy_pages_hold_all_their_content(site):
    """Every formula keeps its MathML in the page; the drawings file matches."""
    lazy_pages = 0
    for path in site.rglob("index.html"):
        html = path.read_text(encoding="utf-8")
        numbers = re.findall(r'data-fidle-math="(\d+)"', html)
        assert html.count('class="arithmatex"') == html.count("<math"), path
        if not numbers:
            assert not LAZY_SCRIPT.search(html), path
            continue
        lazy_pages += 1
        script = path.with_name("formules.js").read_text(encoding="utf-8")
        drawings = json.loads(script[script.index("(") + 1:script.rindex(")")])
        assert [int(n) for n in numbers] == list(range(len(drawings))), path
        assert 'data-formulas="formules.js"' in html, path
        # A notebook is one block (mkdocs-jupyter's wrapper): its later formulas are lazy,
        # with no lazy section to hold them.
        assert 'class="fidle-lazy"' in html or path.parent.parent.name == "carnets", path
    assert lazy_pages >= 4  # the chapters at least


@pytest.mark.slow
def test_print_page_is_not_lazy(site):
    html = (site / "imprimer" / "index.html").read_text(encoding="utf-8")
    assert "fidle-lazy" not in html.split("<article", 1)[1]
    assert "data-fidle-math" not in html and not LAZY_SCRIPT.search(html)
    assert html.count('class="katex-html"') == html.count('class="katex-mathml"') > 100
