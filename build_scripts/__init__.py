"""Build scripts for the carbon-crediting transparency registry.

Stages, each a module you can read alone:
import (importers/) -> validate (validate/) -> load (load.py) -> derive (derive.py)
-> render (render/) -> mkdocs (site.py).
"""

__version__ = "0.1.0"
