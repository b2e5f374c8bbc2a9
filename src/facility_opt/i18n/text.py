"""Look-ups of the report's words: a message in a language, a decision's label, a catalogue name, the
report's language."""

from __future__ import annotations

from typing import Literal

from .messages import CAPACITY_UNITS, DECISION_LABELS, MESSAGES

__all__ = [
    "Lang",
    "LANGS",
    "tr",
    "tr_or",
    "decision_label",
    "capacity_unit",
    "report_language",
    "names_catalogue",
    "service_name",
    "category_name",
]

Lang = Literal["ja", "en"]
LANGS: tuple[str, ...] = ("ja", "en")


def capacity_unit(unit: str, lang: str = "en") -> str:
    """A catalogue ``capacity_unit`` in ``lang`` (shown as it is when the table lacks it)."""
    pair = CAPACITY_UNITS.get(unit)
    return unit if pair is None else pair[1 if lang == "ja" else 0]


def tr(key: str, lang: str = "en", **fields) -> str:
    """The text of ``key`` in ``lang`` with ``fields`` filled in (``str.format``)."""
    en, ja = MESSAGES[key]
    text = ja if lang == "ja" else en
    return text.format(**fields) if fields else text


def tr_or(key: str, lang: str, default: str) -> str:
    """:func:`tr` when the table has ``key``, else ``default`` (an unknown kind or status as it is)."""
    return tr(key, lang) if key in MESSAGES else default


def decision_label(kind: str, lang: str = "en") -> str:
    """What a decision kind (``keep, close, host``...) is called; unknown kinds are shown as they are."""
    pair = DECISION_LABELS.get(kind)
    return kind if pair is None else pair[1 if lang == "ja" else 0]


def report_language(ward=None, lang: str | None = None) -> Lang:
    """The report's language: ``lang`` when given, else the ward's ``ward.yaml`` ``language``, else English."""
    chosen = lang or (getattr(getattr(ward, "meta", None), "language", None)) or "en"
    if chosen not in LANGS:
        raise ValueError(f"unknown report language {chosen!r}; choose one of {', '.join(LANGS)}")
    return chosen  # type: ignore[return-value]


def _catalogue_name(table: dict, key: str, lang: str) -> str:
    item = table.get(key)
    if item is None:
        return key
    return item.name_ja if lang == "ja" else item.name


def names_catalogue(catalogue=None):
    """The catalogue that names services and categories: the one given, else the shipped one."""
    if catalogue is not None:
        return catalogue
    from ..catalogue import default_catalogue

    return default_catalogue()


def service_name(catalogue, service_id: str, lang: str = "en") -> str:
    """A service's name from the catalogue (``name_ja`` in Japanese); its id when the catalogue lacks it."""
    return service_id if catalogue is None else _catalogue_name(catalogue.services, service_id, lang)


def category_name(catalogue, category: str, lang: str = "en") -> str:
    """A building category's name from the catalogue (``name_ja`` in Japanese); its id when unknown."""
    return category if catalogue is None else _catalogue_name(catalogue.categories, category, lang)
