"""The report's words for the reform plan's moves (school mergers, 機能転換), in English and Japanese."""

from __future__ import annotations

__all__ = ["REFORM_MESSAGES"]

REFORM_MESSAGES: dict[str, tuple[str, str]] = {
    "h_reform": ("School mergers and conversions", "学校の統合と機能転換"),
    "reform_note": (
        "Moves beyond keeping, closing and co-locating: schools merged (pupils and classes of the merged "
        "school, at the rule's class size) and existing floor refitted for a function new to its building.",
        "存続・廃止・複合化を超える取組：学校の統合（統合後の児童生徒数と学級数。学級編制の基準による）と、"
        "既存の床を新しい機能に改修する機能転換。",
    ),
    "h_mergers": ("School mergers", "学校の統合"),
    "h_conversions": ("Conversions (機能転換)", "機能転換"),
    "col_closes_school": ("school closed", "統合される学校"),
    "col_into_school": ("merged into", "統合先"),
    "col_pupils_close": ("its pupils", "児童生徒数"),
    "col_pupils_into": ("pupils of the receiving school", "統合先の児童生徒数"),
    "col_pupils_merged": ("merged pupils", "統合後の児童生徒数"),
    "col_classes": ("classes", "学級数"),
    "col_converted_m2": ("converted m²", "転換面積 m²"),
}
