"""Rules of the pledge_updates table (current data model)."""

from __future__ import annotations
