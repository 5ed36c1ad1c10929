"""Rules of the pledges table (current data model)."""

from __future__ import annotations
