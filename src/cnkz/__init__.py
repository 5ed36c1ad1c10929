"""China–Kazakhstan high-level engagements: `load()` the published tables into pandas."""

# Bound after the submodule import, so `cnkz.load` is the function, not the module cnkz/load.py.
from .load import load, load_table

__all__ = ["load", "load_table"]
