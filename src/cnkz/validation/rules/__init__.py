"""The rules written by hand for the current data model, one module per table; importing this package registers them."""

from . import events, figures, participants, places, pledge_updates, pledges, sources  # noqa: F401
