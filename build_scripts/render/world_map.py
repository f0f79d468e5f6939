"""A choropleth world map as inline SVG, drawn at build time from local geometry.

Natural Earth 1:110m countries (world-atlas TopoJSON, in geo/) in the Equal Earth
projection; each country is a <path> with a <title> naming it and its value. Nothing is
fetched by the browser, and the table beside the map carries the same numbers.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

import pycountry
from markupsafe import Markup

from build_scripts.i18n import _
from build_scripts.render.charts import message_html
from build_scripts.render.environment import country, number
from build_scripts.render.escape import escape_value

GEOMETRY = Path(__file__).parent / "geo" / "countries-110m.json"
WIDTH, HEIGHT = 960.0, 470.0
# Sequential blues, light to dark; "no units" stays neutral.
COLOURS = ["#dbe9f6", "#9ecae1", "#4a98c9", "#1764ab", "#08306b"]
EMPTY = "#e4e4e4"


def _equal_earth(lon: float, lat: float) -> tuple[float, float]:
    a1, a2, a3, a4 = 1.340264, -0.081106, 0.000893, 0.003796
    m = math.sqrt(3) / 2
    theta = math.asin(m * math.sin(math.radians(lat)))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = 2 * math.sqrt(3) * math.radians(lon) * math.cos(theta) / (3 * (9 * a4 * t6 * t2 + 7 * a3 * t6 + 3 * a2 * t2 + a1))
    y = theta * (a1 + a2 * t2 + t6 * (a3 + a4 * t2))
    return x, y


@lru_cache(maxsize=1)
def _country_paths() -> tuple[tuple[str, str, str], ...]:
    """(alpha-2 code, name, SVG path data) for every country of the geometry."""
    topology = json.loads(GEOMETRY.read_text(encoding="utf-8"))
    scale, translate = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * scale[0] + translate[0], y * scale[1] + translate[1]))
        arcs.append(points)
    limit = _equal_earth(180, 0)[0]
    top = _equal_earth(0, 90)[1]

    def project(lon: float, lat: float) -> str:
        x, y = _equal_earth(lon, lat)
        return f"{(x / limit + 1) * WIDTH / 2:.0f},{(top - y) / (2 * top) * HEIGHT:.0f}"

    def ring(indexes: list[int]) -> str:
        points: list[tuple[float, float]] = []
        for index in indexes:
            arc = arcs[index] if index >= 0 else arcs[~index][::-1]
            points.extend(arc[1:] if points else arc)
        # A ring crossing the antimeridian (Fiji, Russia) is cut there instead of drawing a
        # line across the whole map.
        path, previous_lon, last = [], None, None
        for lon, lat in points:
            xy = project(lon, lat)
            if xy == last:
                continue
            jump = previous_lon is not None and abs(lon - previous_lon) > 180
            path.append(("M" if not path or jump else "L") + xy)
            previous_lon, last = lon, xy
        return "".join(path) + "Z" if len(path) > 2 else ""

    countries = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        numeric = geometry.get("id")
        country = pycountry.countries.get(numeric=numeric) if numeric else None
        if country is None or country.alpha_2 == "AQ":  # no registry activity in Antarctica
            continue
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        data = "".join(ring(r) for polygon in polygons for r in polygon)
        countries.append((country.alpha_2, geometry["properties"]["name"], data))
    return tuple(countries)


def _bins(values: list[int]) -> list[int]:
    """Upper bounds of five classes on a log scale of the positive values."""
    positive = sorted(v for v in values if v > 0)
    if not positive:
        return []
    low, high = math.log10(positive[0]), math.log10(positive[-1])
    return [round(10 ** (low + (high - low) * (i + 1) / len(COLOURS))) for i in range(len(COLOURS))]


def world_map(values: dict[str, int], names: dict[str, str], title: str, unit: str, figure: str) -> Markup:
    """Inline SVG choropleth of `values` by ISO alpha-2 code, in the language being built: title
    and unit (the legend's) translated by the caller, and figure, a translated message naming a
    country's figure with %(party)s and %(value)s ("%(party)s: %(value)s units issued").
    Countries are named by environment.country (the published name in English)."""
    bounds = _bins(list(values.values()))

    def colour(value: int) -> str:
        if value <= 0 or not bounds:
            return EMPTY
        for bound, fill in zip(bounds, COLOURS):
            if value <= bound:
                return fill
        return COLOURS[-1]

    e = escape_value
    none = _("%(party)s: none")
    paths = []
    for code, geo_name, data in _country_paths():
        value = int(values.get(code, 0))
        party = country(code, names.get(code, geo_name))
        label = figure % {"party": party, "value": number(value)} if value else none % {"party": party}
        paths.append(f'<path d="{data}" fill="{colour(value)}"><title>{e(label)}</title></path>')
    legend = []
    lower = 1
    span = _("%(lower)s to %(upper)s")
    for index, (bound, fill) in enumerate(zip(bounds, COLOURS)):
        legend.append(f'<li><span class="registry-map__swatch" style="background:{fill}"></span>'
                      f'{message_html(span, lower=number(lower), upper=number(bound))}</li>')
        lower = bound + 1
    nothing = message_html(_("none"))
    legend.append(f'<li><span class="registry-map__swatch" style="background:{EMPTY}"></span>{nothing}</li>')
    caption = message_html(_("Hover or focus a country for its figure; the table below lists every party."))
    svg_label = message_html(_("%(map)s: see the table below for the figures"), map=title)
    legend_label = message_html(_("Legend (%(unit)s)"), unit=unit)
    return Markup(
        f'<figure class="registry-map"><figcaption><strong class="registry-chart__title">{e(title)}</strong> '
        f'{caption}</figcaption>'
        f'<svg viewBox="0 0 {WIDTH:.0f} {HEIGHT:.0f}" role="img" aria-label="{svg_label}" '
        f'class="registry-map__svg" stroke="#fff" stroke-width="0.4">{"".join(paths)}</svg>'
        f'<ul class="registry-map__legend" aria-label="{legend_label}">{"".join(legend)}</ul></figure>'
    )
