"""Internal links of the whole built site, to pages and files, checked with LinkChecker
against the local server (other hosts are never contacted; anchors are checked by the
page audit, test_pages.py). LinkChecker runs in the background from the start of the
page audit (conftest.link_check)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_no_broken_internal_link(link_check):
    problems = link_check.problems()
    assert not problems, f"{len(problems)} lien(s) cassé(s) :\n" + "\n".join(problems)
