"""matplotlib's own fonts back in its font list before the course's figures are drawn.

matplotlib keeps its font list in a cache file shared by every installation of the same
matplotlib series (`~/.cache/matplotlib/fontlist-v3.11.0.json` for all of 3.11), and
reads it without checking what it lists. One written by an installation without
matplotlib's own fonts (some Linux packages ship it without them; one such file was
found on the project's machine, its writer unknown) leaves out DejaVu Sans Display and
the STIX and Computer Modern fonts: math text (the 10⁻³ of log scales) is then drawn
with fallback fonts, other bytes than elsewhere, and each figure prints « findfont:
Font family ... not found ». ensure(), called once per process before the first figure
(core.figures), rebuilds the list when a font of matplotlib's own folder is missing
from it, as matplotlib does itself when a listed file has disappeared.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)
_checked = False


def _folder() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path(), "fonts", "ttf")


def missing() -> list[str]:
    """The font files of matplotlib's own folder that its font list leaves out."""
    from matplotlib import font_manager

    folder = _folder()
    listed = {os.path.normpath(entry.fname) for entry in font_manager.fontManager.ttflist}
    return sorted(path.name for path in folder.glob("*.ttf")
                  if os.path.normpath(path) not in listed)


def ensure() -> bool:
    """Rebuild matplotlib's font list (and its cache file) when it lacks matplotlib's own
    fonts; True when it did. Checked once per process."""
    global _checked
    if _checked:
        return False
    _checked = True
    absent = missing()
    if not absent:
        return False
    from matplotlib import font_manager

    log.warning("La liste des polices de matplotlib ne contient pas %d de ses propres polices "
                "(dont %s) : elle est reconstruite (quelques secondes, une seule fois).",
                len(absent), absent[0])
    fresh = font_manager._load_fontmanager(try_read_cache=False)
    vars(font_manager.fontManager).update(vars(fresh))  # the object every module holds
    font_manager.FontManager._findfont_cached.cache_clear()  # fallbacks found meanwhile
    return True
