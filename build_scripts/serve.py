"""`make serve`: build once, serve site/ on localhost, rebuild when data or pages change."""

from __future__ import annotations

import sys

from build_scripts.errors import ValidationFailed
from build_scripts.paths import Layout


def serve(layout: Layout, host: str, port: int, progress) -> int:
    from mkdocs.livereload import LiveReloadServer

    from build_scripts.site import BuildFailed, build_site

    def rebuild() -> None:
        try:
            build_site(layout, strict=False, progress=progress)
        except ValidationFailed as failure:
            for problem in failure.problems:
                print(f"{problem.severity.upper()} {problem.format()}", file=sys.stderr)
            print("Invalid data: still serving the last good site.", file=sys.stderr)
        except BuildFailed as failure:
            print(f"ERROR {failure}: still serving the last good site.", file=sys.stderr)

    rebuild()
    if not layout.site.exists():
        return 3
    server = LiveReloadServer(builder=rebuild, host=host, port=port, root=str(layout.site))
    # Data, templates, pages and configuration; a change to the Python code needs a restart.
    for path in (layout.datapackages, layout.site_src, layout.mkdocs_yml):
        server.watch(str(path))
    progress(f"serving on http://{host}:{port}/ (Ctrl+C to stop)")
    try:
        server.serve()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
    return 0
