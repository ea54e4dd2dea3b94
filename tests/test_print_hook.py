"""overrides/hooks/print_page.py: the anchors of the print page stay sound."""

from __future__ import annotations

from support import load_hook

from mkdocs_print_site_plugin.urls import fix_internal_links


def test_every_id_is_prefixed_once_and_only_the_value_changes():
    hook = load_hook("print_page")
    page = ('<h2 id="d">D</h2><p><a href="#d">d</a></p>'
            '<a id="__codelineno-0-1" name="__codelineno-0-1" href="#__codelineno-0-1"></a>'
            '<div id="x-title">T</div><section aria-labelledby="x-title"></section>'
            '<input id="__tabbed_1_1" name="__tabbed_1"><label for="__tabbed_1_1">C</label>')
    out = fix_internal_links(page, "glossaire/", directory_urls=True, heading_number="7")
    assert '<h2 id="glossaire-d">' in out and 'href="#glossaire-d"' in out
    assert ('<a id="glossaire-__codelineno-0-1" name="glossaire-__codelineno-0-1" '
            'href="#glossaire-__codelineno-0-1">') in out
    assert '<section aria-labelledby="glossaire-x-title">' in out and 'id="glossaire-x-title"' in out
    # inputs and labels: renamed by print-site itself, both the same way
    assert 'id="glossaire-__tabbed_1_1"' in out and 'for="glossaire-__tabbed_1_1"' in out
    assert hook.update_anchor_ids('<span id="a" class="b">', "k") == '<span id="k-a" class="b">'
