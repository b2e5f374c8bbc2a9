"""Static figures (matplotlib): the ward map.  Figures take an optional ``ax`` and return it."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless by default; notebooks switch backends themselves
import matplotlib.pyplot as plt  # noqa: E402

from .atomic import atomic_write_bytes  # noqa: E402
from .ward import Ward  # noqa: E402

__all__ = ["plot_ward", "save_figure"]

#: one colour per building category, stable across figures
CATEGORY_COLOURS = {
    "primary_school": "#1f77b4",
    "junior_high_school": "#17becf",
    "childrens_hall": "#ff7f0e",
    "after_school_club": "#d62728",
    "kindergarten": "#9467bd",
    "nursery": "#2ca02c",
    "community_hall": "#8c564b",
    "multi_purpose": "#e377c2",
}


def plot_ward(ward: Ward, ax=None, title: str | None = None, lang: str = "en", catalogue=None):
    """Map of the ward: boundary, zones (size = population), facilities by category, stations.

    ``lang="ja"``: Japanese labels, categories by their catalogue ``name_ja`` (``catalogue``, default
    the shipped one) and the packaged Japanese font (:mod:`facility_opt.i18n`)."""
    from .i18n import category_name, names_catalogue, set_japanese_font, tr

    named = (lambda c: category_name(names_catalogue(catalogue), c, lang)) if lang == "ja" else (lambda c: c)
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 8))
    ward.boundary.boundary.plot(ax=ax, color="black", linewidth=0.8)
    z = ward.zones
    ax.scatter(
        z.geometry.x,
        z.geometry.y,
        s=z["population"] / 200,
        color="#bbbbbb",
        alpha=0.6,
        label=tr("map_zone", lang),
        zorder=1,
    )
    for cat, sub in ward.facilities.groupby("category", sort=True):
        ax.scatter(
            sub.geometry.x,
            sub.geometry.y,
            s=14,
            color=CATEGORY_COLOURS.get(cat, "#7f7f7f"),
            label=f"{named(cat)} ({len(sub)})",
            zorder=3,
            edgecolor="white",
            linewidth=0.3,
        )
    st = ward.open_stations
    ax.scatter(
        st.geometry.x,
        st.geometry.y,
        marker="s",
        s=22,
        color="black",
        label=tr("map_station", lang, n=len(st)),
        zorder=4,
    )
    planned = ward.stations[~ward.stations["station_id"].isin(st["station_id"])]
    if len(planned):
        ax.scatter(
            planned.geometry.x,
            planned.geometry.y,
            marker="s",
            s=22,
            facecolor="white",
            edgecolor="black",
            label=tr("planned_station", lang, n=len(planned)),
            zorder=4,
        )
    minx, miny, maxx, maxy = ward.boundary.total_bounds
    pad = 800
    ax.set_xlim(minx - pad, maxx + pad)
    ax.set_ylim(miny - pad, maxy + pad)
    ax.set_aspect("equal")
    ax.set_xlabel(tr("axis_x", lang, crs=ward.meta.crs))
    ax.set_ylabel(tr("axis_y", lang))
    name = (ward.meta.name_ja or ward.meta.name) if lang == "ja" else ward.meta.name
    ax.set_title(title or tr("ward_title", lang, name=name))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    if lang == "ja":
        set_japanese_font(ax.figure)
    return ax


def save_figure(fig, path: str | Path, dpi: int = 120) -> Path:
    """Save ``fig`` as PNG atomically, without metadata that changes run to run."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return atomic_write_bytes(path, buf.getvalue())
