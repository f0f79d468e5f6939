"""Render stage: jinja2 templates (site_src/templates) -> Markdown pages in build/docs."""
