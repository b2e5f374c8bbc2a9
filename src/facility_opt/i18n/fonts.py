"""The Japanese font of the report's charts: IPAexGothic from the PyPI package ``matplotlib-fontja``,
registered without changing matplotlib's global settings."""

from __future__ import annotations

import importlib.util
from contextlib import contextmanager
from pathlib import Path

__all__ = ["japanese_font_path", "set_japanese_font", "chart_style"]


def japanese_font_path() -> Path:
    """IPAexGothic (``ipaexg.ttf``) as shipped by the PyPI package ``matplotlib-fontja``.

    Found without importing the package: importing it switches matplotlib's global font.
    """
    spec = importlib.util.find_spec("matplotlib_fontja")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the Japanese chart font needs the package matplotlib-fontja (pip install matplotlib-fontja)")
    return Path(list(spec.submodule_search_locations)[0]) / "fonts" / "ipaexg.ttf"


_FONT_FAMILY: str | None = None


def _japanese_family() -> str:
    global _FONT_FAMILY
    if _FONT_FAMILY is None:
        from matplotlib import font_manager

        path = japanese_font_path()
        font_manager.fontManager.addfont(str(path))
        _FONT_FAMILY = font_manager.FontProperties(fname=str(path)).get_name()
    return _FONT_FAMILY


def set_japanese_font(fig) -> None:
    """Give every text of a drawn figure (titles, labels, ticks, legend) the Japanese font: for
    figures shown later (a notebook), where :func:`chart_style` cannot wrap the drawing."""
    from matplotlib.text import Text

    family = [_japanese_family(), "DejaVu Sans"]
    for t in fig.findobj(Text):
        t.set_fontfamily(family)


@contextmanager
def chart_style(lang: str = "en"):
    """Matplotlib settings for the report's charts: in Japanese, IPAexGothic (no missing glyphs on a
    fresh machine); in English, matplotlib's defaults.  Wrap both drawing and saving in it."""
    import matplotlib

    rc = {"font.family": [_japanese_family(), "DejaVu Sans"], "axes.unicode_minus": False} if lang == "ja" else {}
    with matplotlib.rc_context(rc):
        yield
