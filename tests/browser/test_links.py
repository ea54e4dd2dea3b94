"""Internal links and anchors of the whole built site, checked with LinkChecker
against the local server (other hosts are never contacted)."""

from __future__ import annotations

import pytest

from linkscan import check_links

pytestmark = pytest.mark.browser


def test_no_broken_internal_link_or_anchor(site_url, pages, tmp_path):
    # Every page is a starting point: a page that no other page links to is checked too.
    problems = check_links([site_url + path for path in pages], tmp_path)
    assert not problems, f"{len(problems)} lien(s) cassé(s) :\n" + "\n".join(problems)
