"""`make serve`: build once, serve site/ on localhost, and on every change rebuild only what
changed, so that a maintainer sees an edited row on its page within seconds.

A rebuild (Preview.rebuild):

1. validates only the packages whose files changed (the others keep their report and
   loaded data from the previous round);
2. writes the Markdown again in place, except the downloads and record pages of unchanged
   packages (site.Reuse);
3. compares every generated file with what the served site was built from, and runs mkdocs'
   own dirty build (`mkdocs build --dirty` of the language's configuration, into site/): only
   the pages whose Markdown file changed are rebuilt (the renderer leaves an unchanged file
   untouched) and the changed static files copied; then the search index (search.py) is made
   again, its records bundle kept when no record changed.

The preview is the default language's site (make site builds every language). A change to
the theme overrides, the message catalogs, mkdocs.yml, the publishing settings or the data's date,
or a page added or removed, makes the mkdocs step a whole build. Templates changed: every
page is written again, and still only the changed ones go through mkdocs. The result is
the site a whole build makes (tests/test_serve.py compares them file by file).
"""

from __future__ import annotations

import hashlib
import shutil
import sys
import time
from pathlib import Path

from build_scripts.errors import ValidationFailed
from build_scripts.paths import Layout

Fingerprint = tuple


def _fingerprint(*roots: Path) -> Fingerprint:
    """Every file's path, size and modification time under the given files or folders."""
    entries = []
    for root in roots:
        paths = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []
        for path in paths:
            stat = path.stat()
            entries.append((str(path), stat.st_size, stat.st_mtime_ns))
    return tuple(entries)


def _identities(report) -> Fingerprint:
    """The primary keys of every table of a package: when they change, pages may have been
    added or removed (or renamed), and the preview starts from a clean folder."""
    package = report.loaded
    if package is None:
        return ()
    keys = []
    for resource in package.descriptor["resources"]:
        key = resource.get("schema", {}).get("primaryKey")
        frame = package.tables.get(resource["name"])
        if key and frame is not None:
            columns = [key] if isinstance(key, str) else list(key)
            if set(columns) <= set(frame.columns):
                values = frame[columns].astype(str).agg("\x1f".join, axis=1) if len(columns) > 1 else frame[columns[0]].astype(str)
                keys.append((resource["name"], hashlib.sha256("\x1e".join(values).encode()).hexdigest()))
    return tuple(keys)


class Preview:
    """The state kept between rebuilds while make serve runs."""

    def __init__(self, layout: Layout, progress=lambda _: None, settings=None) -> None:
        """settings: publishing settings (publishing.py); read from the environment unless given."""
        from build_scripts.site import Reuse

        self.layout, self.progress, self.settings = layout, progress, settings
        self.reports: dict[Path, tuple[Fingerprint, object]] = {}
        self.reuse = Reuse()
        self.inputs: dict[str, Fingerprint] = {}
        self.digests: dict[str, tuple[int, int, str]] | None = None  # docs file -> size, mtime, sha256

    def _validate(self) -> list:
        from build_scripts.validate import validate_package

        reports, seen = [], set()
        for descriptor in self.layout.package_descriptors():
            seen.add(descriptor)
            fingerprint = _fingerprint(descriptor.parent)
            cached = self.reports.get(descriptor)
            if cached is None or cached[0] != fingerprint:
                self.progress(f"validating {descriptor.relative_to(self.layout.root)}")
                cached = (fingerprint, validate_package(descriptor, self.layout.root))
                self.reports[descriptor] = cached
            reports.append(cached[1])
        for gone in set(self.reports) - seen:
            del self.reports[gone]
        return reports

    def _docs_digests(self) -> dict[str, tuple[int, int, str]]:
        """Each generated file's digest; a file whose size and time are as last seen keeps it."""
        previous = self.digests or {}
        docs = self.layout.docs_out
        digests = {}
        for path in docs.rglob("*"):
            if not path.is_file():
                continue
            name = path.relative_to(docs).as_posix()
            stat = path.stat()
            old = previous.get(name)
            if old and old[:2] == (stat.st_size, stat.st_mtime_ns):
                digests[name] = old
            else:
                digests[name] = (stat.st_size, stat.st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest())
        return digests

    def rebuild(self) -> str:
        """Bring site/ up to date. Returns "whole" (a whole mkdocs build), "pages N" (N pages
        rebuilt) or "unchanged". Raises ValidationFailed or BuildFailed; site/ then stays."""
        from build_scripts import i18n, mkdocs_build, search
        from build_scripts.publishing import data_epoch
        from build_scripts.site import BuildFailed, Reuse, _publishing, data_date, generate_docs, languages_of, run_mkdocs

        layout = self.layout
        languages = languages_of(layout)[:1]  # the preview is the default language's site
        reports = self._validate()
        if any(r.errors for r in reports):
            raise ValidationFailed([p for r in reports for p in r.problems], reports)
        settings = self.settings or _publishing(layout)
        epoch = data_epoch([r.loaded.descriptor["as_of"] for r in reports if r.loaded is not None and r.loaded.descriptor.get("as_of")])
        inputs = {
            "identities": tuple(_identities(r) for r in reports),
            "templates": _fingerprint(layout.templates),
            "theme": _fingerprint(layout.site_src / "overrides", layout.mkdocs_yml, layout.locales),
            "pages": tuple(p for p, _, _ in _fingerprint(layout.docs_src)),
            "settings": (settings, epoch),
        }
        first = self.digests is None or not layout.site.exists() or inputs["identities"] != self.inputs["identities"]
        if first or inputs["templates"] != self.inputs.get("templates") or inputs["pages"] != self.inputs.get("pages"):
            self.reuse = Reuse()  # every page written again
        if first and layout.docs_out.exists():
            shutil.rmtree(layout.docs_out)  # whatever an earlier build left: start clean
        generate_docs(layout, reports, self.progress, settings, reuse=self.reuse, languages=languages)
        digests = self._docs_digests()
        whole = first or any(inputs[k] != self.inputs.get(k) for k in ("theme", "settings")) or digests.keys() != self.digests.keys()
        if whole:
            run_mkdocs(layout, strict=False, progress=self.progress, settings=settings, epoch=epoch, languages=languages)
            outcome = "whole"
        else:
            changed = sorted(name for name, digest in digests.items() if digest[2] != self.digests[name][2])
            pages = [name for name in changed if name.endswith(".md")]
            static = [name for name in changed if not name.endswith(".md")]
            if not changed:
                outcome = "unchanged"
            else:
                self.progress(f"rebuilding {len(pages)} changed page(s), copying {len(static)} changed file(s)")
                language = languages[0]
                build = mkdocs_build.Build(language, mkdocs_build.write_config(
                    layout, settings, language, languages, layout.site, i18n.enabled_languages(layout.locales)), layout.site)
                with data_date(epoch):
                    try:
                        mkdocs_build.run([build], strict=False, dirty=True, cwd=layout.root)
                        search.index_site(layout.site, languages, layout.build / "search", layout.locales,
                                          progress=self.progress, reuse_records=True)
                    except mkdocs_build.MkdocsFailed as exc:
                        raise BuildFailed(str(exc)) from exc
                    except search.SearchIndexFailed as exc:
                        raise BuildFailed(str(exc)) from exc
                outcome = f"pages {len(pages)}"
        self.digests, self.inputs = digests, inputs
        return outcome


def serve(layout: Layout, host: str, port: int, progress) -> int:
    from mkdocs.livereload import LiveReloadServer

    from build_scripts.budget import SiteOverBudget
    from build_scripts.site import BuildFailed

    preview = Preview(layout, progress)

    def rebuild() -> None:
        start = time.perf_counter()
        try:
            outcome = preview.rebuild()
            progress(f"site updated ({outcome}) in {time.perf_counter() - start:.1f} s")
        except ValidationFailed as failure:
            for problem in failure.problems:
                print(f"{problem.severity.upper()} {problem.format()}", file=sys.stderr)
            print("Invalid data: still serving the last good site.", file=sys.stderr)
        except BuildFailed as failure:
            print(f"ERROR {failure}: still serving the last good site.", file=sys.stderr)
        except SiteOverBudget as failure:  # over its host's limits (budget.py): site/ was not replaced
            print(f"ERROR {failure}\nStill serving the last good site.", file=sys.stderr)

    rebuild()
    if not layout.site.exists():
        return 3
    server = LiveReloadServer(builder=rebuild, host=host, port=port, root=str(layout.site))
    # Data, templates, pages and configuration; a change to the Python code needs a restart.
    for path in (layout.datapackages, layout.site_src, layout.mkdocs_yml, layout.changelog):
        server.watch(str(path))
    progress(f"serving on http://{host}:{port}/ (Ctrl+C to stop)")
    try:
        server.serve()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
    return 0
