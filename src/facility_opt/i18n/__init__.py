"""The report's words in Japanese and English, in one table, and the Japanese font for its charts.

Every piece of text the report, its charts and its map show is a key of :data:`MESSAGES` with its
English and Japanese wording (``str.format`` fields where a figure goes in).  :func:`tr` looks a key
up; :func:`service_name` / :func:`category_name` take names from the catalogue (``name`` /
``name_ja``).  :func:`report_language` picks the language: the one asked for, else the ward's
(``ward.yaml`` ``language``), else English.

Charts in Japanese use IPAexGothic from the PyPI package ``matplotlib-fontja`` (installed with the
library), registered without changing matplotlib's global settings: :func:`chart_style`.

The table and the labels are in :mod:`.messages`, the look-ups in :mod:`.text`, the font in :mod:`.fonts`.
"""

from __future__ import annotations

from .fonts import chart_style, japanese_font_path, set_japanese_font
from .messages import CAPACITY_UNITS, DECISION_LABELS, MESSAGES, REVENUE_SOLD_ONLY, SAVING_KIND_LABELS
from .text import (
    LANGS,
    Lang,
    capacity_unit,
    category_name,
    decision_label,
    names_catalogue,
    report_language,
    service_name,
    tr,
    tr_or,
)

__all__ = [
    "Lang",
    "LANGS",
    "MESSAGES",
    "DECISION_LABELS",
    "SAVING_KIND_LABELS",
    "tr",
    "tr_or",
    "report_language",
    "service_name",
    "category_name",
    "decision_label",
    "chart_style",
    "japanese_font_path",
    "CAPACITY_UNITS",
    "capacity_unit",
    "names_catalogue",
    "set_japanese_font",
    "REVENUE_SOLD_ONLY",
]
