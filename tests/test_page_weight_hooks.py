"""The build-time hooks that lighten the pages, without a browser:
jupyter_css.py (the notebooks' style sheet keeps the rules they use) and the
parts of mermaid_prerender.py that do not draw (page rewriting, cache)."""

from __future__ import annotations

import html

from support import load_hook

jupyter_css = load_hook("jupyter_css")
mermaid = load_hook("mermaid_prerender")

CSS = """
@charset "UTF-8";
/* a comment { with braces } */
.jupyter-wrapper { --jp-used: 1px; --jp-unused: url(data:image/svg+xml;base64,AAA;BBB);
                   --jp-chained: var(--jp-used); --jp-inline: red; }
.jupyter-wrapper .jp-Cell { margin: var(--jp-chained); }
.jupyter-wrapper .jp-Dialog { color: red; }
.jupyter-wrapper .jp-Cell, .jupyter-wrapper .jp-Menu { padding: 0; }
.jupyter-wrapper .jp-Cell:not(.jp-mod-active) { border: 0; }
.jupyter-wrapper :is(.jp-A, .jp-B) { top: 0; }
@media print { .jupyter-wrapper .jp-Dialog { display: none; } .jupyter-wrapper .jp-Cell { color: black; } }
@media screen { .jupyter-wrapper .jp-Menu { display: none; } }
@keyframes spin { from { transform: rotate(0); } to { transform: rotate(1turn); } }
body { content: "a;b{c}"; }
"""
PAGE = '<div class="jupyter-wrapper"><div class="jp-Cell x" style="color: var(--jp-inline)">'


def test_rules_for_classes_no_page_holds_are_dropped():
    kept = jupyter_css.purge(CSS, {"jupyter-wrapper", "jp-Cell", "x"}, PAGE)
    assert ".jp-Dialog" not in kept and ".jp-Menu" not in kept
    assert ".jupyter-wrapper .jp-Cell{padding: 0}" in kept  # the list loses its useless part
    assert "@media print{.jupyter-wrapper .jp-Cell{color: black}}" in kept
    assert "@media screen" not in kept  # nothing left inside


def test_what_cannot_be_judged_is_kept():
    kept = jupyter_css.purge(CSS, {"jupyter-wrapper", "jp-Cell"}, PAGE)
    assert ":not(.jp-mod-active)" in kept  # a class inside :not() is not needed
    assert ":is(.jp-A, .jp-B)" in kept
    assert "@keyframes spin{" in kept and '@charset "UTF-8";' in kept
    assert 'body{content: "a;b{c}"}' in kept  # strings are not parsed as CSS


def test_custom_properties_nothing_reads_are_dropped():
    kept = jupyter_css.purge(CSS, {"jupyter-wrapper", "jp-Cell"}, PAGE)
    assert "--jp-unused" not in kept and "base64" not in kept
    assert "--jp-chained: var(--jp-used)" in kept and "--jp-used: 1px" in kept  # through a chain
    assert "--jp-inline: red" in kept  # read by an inline style of a page
    # Without the page, nothing reads --jp-inline.
    assert "--jp-inline" not in jupyter_css.purge(CSS, {"jupyter-wrapper", "jp-Cell"}, "")


def write_site(tmp_path, pages: dict[str, str]):
    for path, body in pages.items():
        file = tmp_path / path / "index.html"
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(f"<html><body>{body}</body></html>", encoding="utf-8")


def block(source: str) -> str:
    return f'<pre class="mermaid"><code>{html.escape(source)}</code></pre>'


def test_diagrams_come_from_the_cache_without_a_browser(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setattr(mermaid, "CACHE_DIR", cache)
    monkeypatch.setenv("FIDLE_MERMAID_PRERENDER", "0")  # never start Chromium here
    first, second = "flowchart LR\n  A --> B", 'flowchart TD\n  C["x < y"] --> D'
    fingerprint = mermaid._fingerprint()
    cache.mkdir()
    for number, source in enumerate([first, second]):
        key = mermaid._key(fingerprint, f"__mermaid_{number}", source)
        (cache / f"{key}.svg").write_text(f'<svg id="__mermaid_{number}"></svg>')
    site = tmp_path / "site"
    write_site(site, {"a": block(first) + "<p>texte</p>" + block(second),
                      # the same source, second on its page: another id, not cached
                      "b": block(second) + block(first)})
    mermaid.on_post_build({"site_dir": str(site)})
    a = (site / "a" / "index.html").read_text(encoding="utf-8")
    assert a == ('<html><body><div class="mermaid"><template shadowrootmode="open">'
                 '<svg id="__mermaid_0"></svg></template></div><p>texte</p>'
                 '<div class="mermaid"><template shadowrootmode="open">'
                 '<svg id="__mermaid_1"></svg></template></div></body></html>')
    b = (site / "b" / "index.html").read_text(encoding="utf-8")
    assert b.count('<pre class="mermaid">') == 2  # left to the browser


def test_the_cache_key_follows_the_source_the_id_and_the_versions():
    key = mermaid._key("v1", "__mermaid_0", "A --> B")
    assert key == mermaid._key("v1", "__mermaid_0", "A --> B")
    assert len({key, mermaid._key("v2", "__mermaid_0", "A --> B"),
                mermaid._key("v1", "__mermaid_1", "A --> B"),
                mermaid._key("v1", "__mermaid_0", "A --> C")}) == 4


def test_path_coordinates_are_shortened_and_nothing_else():
    svg = ('<svg viewBox="0 0 198.171875 372.6879"><path d="M-45.15625 -19.5 '
           'C-22.11255007221325 -19.5, 0.9311498555735014 -19.5"/></svg>')
    assert mermaid.compact(svg) == ('<svg viewBox="0 0 198.171875 372.6879"><path d="M-45.15 '
                                    '-19.5 C-22.11 -19.5, 0.93 -19.5"/></svg>')
