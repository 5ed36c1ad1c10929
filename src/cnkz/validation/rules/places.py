"""Rules of the places table (current data model)."""

from __future__ import annotations
