"""The theme's icons as one cached file: assets/images/registry-icons.svg.

mkdocs-material writes each icon's SVG into every page that shows it (3 KB a page in the
header alone). The site's theme overrides (site_src/overrides/partials/icon.html) refer to
symbols of one sprite instead, made here from the very SVG files the theme would inline (its
`.icons` folder, or the same path in the site's custom_dir, as the theme looks them up), so
an icon looks exactly as the theme draws it and is downloaded once.
"""

from __future__ import annotations

import re
from pathlib import Path

SPRITE = "assets/images/registry-icons.svg"

# Every icon the overrides draw (partials/header.html, search.html, top.html, alternate.html,
# actions.html), by the theme's default names; mkdocs.yml's theme.icon and palette toggles add theirs.
DEFAULT_ICONS = ("material/library", "material/menu", "material/magnify", "material/arrow-left", "material/close",
                 "material/arrow-up", "material/translate", "material/file-eye-outline", "material/file-edit-outline")
_ICON_KEYS = {"logo": "material/library", "menu": "material/menu", "search": "material/magnify",
              "previous": "material/arrow-left", "close": "material/close", "top": "material/arrow-up",
              "alternate": "material/translate"}
_SVG = re.compile(r"<svg\b([^>]*)>(.*)</svg>\s*\Z", re.S)
_VIEWBOX = re.compile(r'viewBox="([^"]+)"')


class IconError(Exception):
    """An icon the site uses is not in the theme."""


def icon_names(theme: dict) -> list[str]:
    """The icons the overrides draw with this theme configuration (mkdocs.yml's theme:)."""
    configured = theme.get("icon") or {}
    names = [configured.get(key) or default for key, default in _ICON_KEYS.items()]
    names += [n for n in DEFAULT_ICONS if n not in _ICON_KEYS.values()]
    for option in theme.get("palette") or []:
        if isinstance(option, dict) and option.get("toggle", {}).get("icon"):
            names.append(option["toggle"]["icon"])
    return list(dict.fromkeys(names))


def icon_dirs(custom_dir: Path | None) -> list[Path]:
    import material

    dirs = [custom_dir / ".icons"] if custom_dir else []
    return dirs + [Path(material.__file__).parent / "templates" / ".icons"]


def sprite(names: list[str], dirs: list[Path]) -> str:
    """An SVG holding one <symbol id="material-menu"> per icon (ids: the name, '/' -> '-')."""
    symbols = []
    for name in names:
        source = next((d / f"{name}.svg" for d in dirs if (d / f"{name}.svg").is_file()), None)
        if source is None:
            raise IconError(f"icon {name!r}: no {name}.svg in {', '.join(map(str, dirs))}")
        match = _SVG.search(source.read_text(encoding="utf-8"))
        box = _VIEWBOX.search(match.group(1)) if match else None
        if not match or not box:
            raise IconError(f"icon {name!r}: {source} is not an SVG with a viewBox")
        symbols.append(f'<symbol id="{name.replace("/", "-")}" viewBox="{box.group(1)}">{match.group(2)}</symbol>')
    return '<svg xmlns="http://www.w3.org/2000/svg">' + "".join(symbols) + "</svg>\n"
