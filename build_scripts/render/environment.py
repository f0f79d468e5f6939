"""The jinja2 environment shared by every generated page, with its formatting filters."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
import yaml
from markupsafe import Markup

from build_scripts.render.escape import escape_value, plain, yaml_string

LABELS_DIR = Path(__file__).parent


@lru_cache(maxsize=None)
def labels(language: str = "en") -> dict[str, dict[str, str]]:
    with (LABELS_DIR / f"labels.{language}.yml").open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def label(key: Any, group: str, language: str = "en") -> str:
    text = plain(key)
    return labels(language).get(group, {}).get(text, text)


def number(value: Any, decimals: int = 0) -> str:
    if plain(value) == "":
        return ""
    return f"{float(value):,.{decimals}f}"


def amount(value: Any) -> str:
    """Whole numbers without decimals, others with two."""
    if plain(value) == "":
        return ""
    value = float(value)
    return number(value, 0 if value == int(value) else 2)


def long_date(value: Any) -> str:
    if plain(value) == "":
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    if isinstance(value, pd.Timestamp):
        value = value.date()
    return f"{value.day} {value:%B %Y}"


def iso_date(value: Any) -> str:
    if plain(value) == "":
        return ""
    if isinstance(value, (pd.Timestamp, dt.date)):
        return value.strftime("%Y-%m-%d")
    return plain(value)


def year_month(value: Any) -> str:
    text = plain(value)
    return dt.date.fromisoformat(text + "-01").strftime("%B %Y") if text else ""


def figure_text(row: dict) -> str:
    """'871,893,629 ERUs', 'more than 2,500,000,000 tonnes CO2 equivalent', 'USD 972,454.32'."""
    qualifier = label(row["qualifier"], "qualifiers")
    value = amount(row["value"])
    text = f"USD {value}" if row["unit"] == "USD" else f"{value} {row['unit']}"
    return f"{qualifier} {text}".strip()


def relative_root(page_path: str) -> str:
    """Prefix from a page's URL (directory URLs) back to the site root, for raw HTML links."""
    parts = Path(page_path).with_suffix("").parts
    depth = len(parts) - (1 if parts[-1] == "index" else 0)
    return "../" * depth


def docs_root(page_path: str) -> str:
    """Prefix from a page's Markdown file back to the docs folder, for Markdown links (which
    mkdocs checks and rewrites)."""
    return "../" * (len(Path(page_path).parts) - 1)


def make_environment(templates: Path) -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        autoescape=True,
        finalize=escape_value,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(
        label=label,
        number=number,
        amount=amount,
        long_date=long_date,
        year_month=year_month,
        iso_date=iso_date,
        figure_text=figure_text,
        yaml=yaml_string,
        plain=plain,
    )
    environment.globals["Markup"] = Markup
    return environment
