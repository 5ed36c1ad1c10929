"""Rules of the participants table (current data model)."""

from __future__ import annotations
