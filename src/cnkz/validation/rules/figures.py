"""Rules of the figures table (current data model)."""

from __future__ import annotations
