"""Internal links and anchors of the whole built site, checked with LinkChecker
against the local server (other hosts are never contacted). LinkChecker runs
in the background from the start of the page audit (conftest.link_check)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_no_broken_internal_link_or_anchor(link_check):
    problems = link_check.problems()
    assert not problems, f"{len(problems)} lien(s) cassé(s) :\n" + "\n".join(problems)
