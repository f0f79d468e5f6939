"""Downloads: each package as a zip and each file on its own, with sizes and SHA-256.

Zips are reproducible: entries sorted, fixed timestamps, so the same data gives the same
bytes and the same checksum.
"""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from pathlib import Path

from build_scripts.load import DataPackage

_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _package_files(package: DataPackage) -> list[Path]:
    files = [package.root / "datapackage.json"]
    files += [package.root / r["path"] for r in package.descriptor["resources"]]
    files += [package.root / s["path"] for s in package.descriptor.get("sources", []) if s.get("path")]
    return files


def _write_zip(package: DataPackage, target: Path) -> None:
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in sorted(_package_files(package)):
            info = zipfile.ZipInfo(f"{package.name}/{path.relative_to(package.root).as_posix()}", _FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes())


def _entry(path: Path, docs: Path, kind: str, title: str, rows: int | None = None) -> dict:
    return {
        "kind": kind,
        "title": title,
        "href": path.relative_to(docs / "downloads").as_posix(),
        "name": path.name,
        "bytes": path.stat().st_size,
        "sha256": _sha256(path),
        "rows": rows,
    }


def write_downloads(packages: list[DataPackage], docs: Path) -> list[dict]:
    """Write every download under docs/downloads and return their listing."""
    out = docs / "downloads"
    listing: list[dict] = []
    for package in packages:
        folder = out / package.name
        folder.mkdir(parents=True, exist_ok=True)
        zip_path = out / f"{package.name}-datapackage.zip"
        _write_zip(package, zip_path)
        entries = [_entry(zip_path, docs, "zip", f"{package.title} (data package: datapackage.json, CSV files, raw sources)")]
        for path in _package_files(package):
            target = folder / path.relative_to(package.root)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
        entries.append(_entry(folder / "datapackage.json", docs, "descriptor", "Descriptor with Table Schemas"))
        for resource in package.descriptor["resources"]:
            entries.append(_entry(folder / resource["path"], docs, "csv", resource.get("title", resource["name"]),
                                  rows=len(package[resource["name"]])))
        for source in package.descriptor.get("sources", []):
            if source.get("path"):
                entries.append(_entry(folder / source["path"], docs, "raw", f"Raw source: {source['title']}"))
        listing.append({"package": package.name, "title": package.title, "files": entries})
    return listing
