"""The print page (mkdocs-print-site-plugin): each page's final HTML, and sound anchors.

1. print-site keeps a copy of a page's HTML in its on_page_content; hooks run after
   the plugins, so that copy misses what the hooks do next (the formulas typeset by
   katex_prerender.py). on_page_context comes after every on_page_content: the copy
   is refreshed there, before print-site assembles the print page (on_post_build).
2. Gathering pages into one, print-site prefixes anchors with the page's key
   (href="#x" -> "#cours-svm-x") but, in version 2.9, renames only the ids of
   headings, <sup> and <li>, and with a plain string replace over the whole tag:
   <h2 id="d"> becomes <h2 iglossaire-d="glossaire-d">. Its renaming function is
   replaced here by one that renames the id of any element (and <a name>, and the
   ARIA references to ids), and only the attribute's value.
3. Links to a page left out of the print page (exclude: in mkdocs.yml) would point
   to an anchor that does not exist there: they go to that page of the site instead.
   The line-number anchors of code blocks are left out of the print page.
"""

from __future__ import annotations

import re
from pathlib import Path

from mkdocs.utils import get_relative_url
from mkdocs_print_site_plugin import urls
from mkdocs_print_site_plugin.exclude import exclude

_TAG = re.compile(r"<([a-zA-Z][\w-]*)(\s[^>]*)>")
_ATTR = re.compile(r'(\s)(id|name|aria-labelledby|aria-describedby|aria-controls)="([^"]*)"')


def update_anchor_ids(page_html: str, page_key: str) -> str:
    """Every id of the page prefixed with its key, as print-site does for the links.

    <input> ids (and <label for>) are left to print-site's fix_tabbed_content, which
    prefixes both.
    """
    def attrs(tag: str, text: str) -> str:
        def rename(match):
            space, name, value = match.groups()
            if name == "name" and tag != "a":
                return match.group(0)
            renamed = " ".join(f"{page_key}-{token}" for token in value.split())
            return f'{space}{name}="{renamed}"'

        return _ATTR.sub(rename, text)

    def tag(match):
        name, rest = match.group(1), match.group(2)
        if name.lower() == "input":
            return match.group(0)
        return f"<{name}{attrs(name.lower(), rest)}>"

    return _TAG.sub(tag, page_html)


urls.update_anchor_ids = update_anchor_ids  # looked up at call time by fix_internal_links


# The empty line-number anchors of code blocks (pymdownx.highlight anchor_linenums):
# hundreds of links that mean nothing on paper.
_CODE_LINE_ANCHOR = re.compile(r'<a id="__codelineno-[^"]*" name="[^"]*" href="[^"]*"></a>')


def on_page_context(context, page, config, nav):
    if hasattr(page, "html"):  # set by print-site for the pages it gathers
        page.html = _CODE_LINE_ANCHOR.sub("", page.content)
    return context


def _pages(items):
    for item in items:
        if item.is_page:
            yield item
        elif item.is_section:
            yield from _pages(item.children)


def on_post_build(config):
    """After print-site wrote the print page (hooks run after the plugins)."""
    plugin = config.plugins.get("print-site")
    if plugin is None or not plugin.config.get("enabled"):
        return
    page_url = plugin.print_page.file.url
    left_out = {urls.get_page_key(page.url): get_relative_url(page.url, page_url)
                for page in _pages(plugin.renderer.items)
                if exclude(page.file.src_path, plugin.config["exclude"])}
    path = Path(plugin.print_page.file.abs_dest_path)
    html = path.read_text(encoding="utf-8")
    ids = set(re.findall(r'\sid="([^"]+)"', html))

    def relink(match):
        target = match.group(1)
        keys = [k for k in left_out if target == k or target.startswith(k + "-")]
        if target in ids or not keys:
            return match.group(0)
        key = max(keys, key=len)
        anchor = target[len(key) + 1:]
        return f'href="{left_out[key]}{"#" + anchor if anchor else ""}"'

    path.write_text(re.sub(r'href="#([^"]+)"', relink, html), encoding="utf-8")
