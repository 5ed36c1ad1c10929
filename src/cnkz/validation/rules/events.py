"""Rules of the events table (current data model)."""

from __future__ import annotations
