"""China–Kazakhstan high-level engagements: `load()` the published tables into pandas."""

# Bound after the submodule imports, so `cnkz.load` is the function, not the module cnkz/load.py.
from .api import load, load_table

__all__ = ["load", "load_table"]
