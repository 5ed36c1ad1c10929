"""What Frictionless is shown under `cnkz validate --frictionless`: each attack through a descriptor key it would follow,
reproduced on the published `places` resource, and the guard's exact problem for it."""

from __future__ import annotations

import contextlib
import copy
import json
import os
import signal
import sys
import tempfile
import time
import types
import warnings
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from cnkz import frictionless_guard
from cnkz.errors import Problem
from cnkz.frictionless_guard import guard
from cnkz.tables import SLUG
from cnkz.validate import PackageUnderCheck, check_frictionless, validate

from .conftest import ROOT, copy_repo, rehash, set_cell
from .hostile import body, serve_routes

T = TypeVar("T")
NOT_PASSED = "not passed to Frictionless"
RESOURCE_KEY = "only the keys Frictionless needs to validate a resource"
PATH_RULE = "a relative path in the package ending in .csv or .parquet (letters, digits, _ . - and /)"

# Audit hooks cannot be removed: this one records only while a test is inside `audited()`.
_WATCHERS: list[list[tuple[str, str]]] = []


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if not _WATCHERS or event not in ("open", "socket.connect", "socket.getaddrinfo"):
        return
    what = args[1] if event == "socket.connect" else args[0]
    if event == "open" and isinstance(what, (str, bytes)):
        what = os.fsdecode(what)
    for seen in _WATCHERS:
        seen.append((event, str(what)))


sys.addaudithook(_audit)


@contextlib.contextmanager
def audited() -> Iterator[list[tuple[str, str]]]:
    """The files opened and the hosts looked up or connected to, by any thread, inside the block."""
    seen: list[tuple[str, str]] = []
    _WATCHERS.append(seen)
    try:
        yield seen
    finally:
        _WATCHERS.remove(seen)


class Overran(BaseException):
    """Raised by the timer inside the work; a BaseException, so no `except Exception` in Frictionless turns it into a report."""


def finishes(work: Callable[[], T], seconds: float) -> T:
    """`work()`, which must return within `seconds`: a timer signal interrupts it otherwise (a blocked open of a FIFO, or a
    regular expression backtracking, which holds the interpreter so that no other thread could watch it)."""
    def stop(signum: int, frame: Any) -> None:
        raise Overran(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return work()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def edit(folder: Path, change: Callable[[dict[str, Any]], None]) -> None:
    path = folder / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    change(descriptor)
    path.write_text(json.dumps(descriptor, indent=2), encoding="utf-8")


def places_resource(descriptor: dict[str, Any]) -> dict[str, Any]:
    return next(r for r in descriptor["resources"] if r["name"] == "places")


@pytest.fixture
def places(tmp_path: Path) -> Path:
    """The published package with one resource, places (no foreign keys): Frictionless validates it in a fraction of a second."""
    folder = copy_repo(tmp_path / "pkg", ("datapackage.json", "resources"))
    edit(folder, lambda d: d.update(resources=[places_resource(d)]))
    return folder


def frictionless_layer(folder: Path) -> list[Problem]:
    return validate(folder, [check_frictionless])


def guarded(key: str, expected: str, found: str, table: str = "places") -> Problem:
    return Problem("frictionless_guard", table, "", key, expected, found)


# ---------------------------------------------------------------- the published descriptor


def test_the_published_descriptor_reaches_frictionless_unchanged() -> None:
    descriptor = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    original = copy.deepcopy(descriptor)
    shown, problems = guard(descriptor)
    assert problems == []
    assert shown == descriptor
    assert shown is not None
    for resource in shown["resources"]:
        resource["schema"]["fields"][0].clear()
    assert descriptor == original  # a copy: Frictionless edits what it is given


def test_frictionless_is_handed_the_guarded_descriptor_not_the_file(places: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import frictionless

    handed: list[tuple[Any, Any]] = []

    def fake_validate(source: Any, **options: Any) -> Any:
        handed.append((source, options.get("basepath")))
        return types.SimpleNamespace(errors=[], tasks=[])

    monkeypatch.setattr(frictionless, "validate", fake_validate)
    edit(places, lambda d: places_resource(d).update(extrapaths=["resources/events.csv"]))
    descriptor = json.loads((places / "datapackage.json").read_text(encoding="utf-8"))
    assert check_frictionless(PackageUnderCheck(places, descriptor)) == [
        guarded("extrapaths", RESOURCE_KEY, f'["resources/events.csv"]; {NOT_PASSED}')]
    assert handed == [(guard(descriptor)[0], str(places))]
    assert "extrapaths" not in handed[0][0]["resources"][0]


# ---------------------------------------------------------------- 6. extrapaths: the network, a FIFO, a file outside


def test_extrapaths_urls_are_never_requested(places: Path) -> None:
    with serve_routes({"/more.csv": body(b"place_id\nx\n")}) as (base, asked):
        edit(places, lambda d: places_resource(d).update(extrapaths=[f"{base}/more.csv", f"{base}/again.csv"]))
        problems = frictionless_layer(places)
    assert asked == []  # 3 requests before: Frictionless joined the URLs to the resource as parts of it
    assert problems == [guarded("extrapaths", RESOURCE_KEY, f'["{base}/more.csv", "{base}/again.csv"]; {NOT_PASSED}')]


def test_a_fifo_extrapath_does_not_hang(places: Path) -> None:
    fifo = places / "resources" / "more.csv"
    os.mkfifo(fifo)
    edit(places, lambda d: places_resource(d).update(extrapaths=["resources/more.csv"]))
    problems = finishes(lambda: frictionless_layer(places), 30)  # before: blocked for ever opening the FIFO
    assert problems == [guarded("extrapaths", RESOURCE_KEY, f'["resources/more.csv"]; {NOT_PASSED}')]


def test_a_symlinked_extrapath_out_of_the_package_is_never_read(places: Path, tmp_path: Path) -> None:
    outside = tmp_path / "secret.csv"
    outside.write_text("place_id\nsecret\n", encoding="utf-8")
    (places / "resources" / "more.csv").symlink_to(outside)
    edit(places, lambda d: places_resource(d).update(extrapaths=["resources/more.csv"]))
    with audited() as seen:
        problems = frictionless_layer(places)
    opened = {os.path.realpath(what) for event, what in seen if event == "open"}
    assert str(places / "resources" / "places.csv") in opened  # Frictionless did read the resource itself
    assert str(outside.resolve()) not in opened
    assert problems == [guarded("extrapaths", RESOURCE_KEY, f'["resources/more.csv"]; {NOT_PASSED}')]


# ---------------------------------------------------------------- 7. compression


def test_a_zip_compressed_resource_is_not_unpacked(places: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = places / "resources" / "places.csv"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive, archive.open("places.csv", "w", force_zip64=True) as member:
        member.write(b"place_id\n")
        for _ in range(16):
            member.write(b"\0" * (4 << 20))  # 64 MiB unpacked from 0.3 MB; the reported attack unpacked 2 MB to 2.1 GB
    assert bomb.stat().st_size < 1_000_000
    rehash(places)
    edit(places, lambda d: places_resource(d).update(compression="zip", innerpath="places.csv"))
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    started = time.monotonic()
    with audited() as seen:
        problems = finishes(lambda: frictionless_layer(places), 60)  # before: over two minutes for 8 MiB unpacked
    assert [what for event, what in seen if event == "open" and what.startswith(str(temporary))] == []  # no file unpacked
    assert time.monotonic() - started < 30  # before: 37 s for these 64 MiB
    assert [p for p in problems if p.check == "frictionless_guard"] == [
        guarded("compression", RESOURCE_KEY, f'"zip"; {NOT_PASSED}'),
        guarded("innerpath", RESOURCE_KEY, f'"places.csv"; {NOT_PASSED}'),
    ]
    assert any(p.check == "frictionless" for p in problems)  # the zip's bytes read as they are: not a valid CSV


@pytest.mark.parametrize("path", [
    "resources/places.csv.zip", "resources/places.csv.gz", "resources/places?format=zip", "resources/places.zip#.csv", "resources/places.zip?.csv",
])
def test_a_path_frictionless_would_decompress_stops_it(path: str) -> None:
    import frictionless

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert frictionless.Resource({"name": "places", "path": path, "format": "csv"}).compression in ("zip", "gz")  # what it would do
    descriptor = {"name": "x", "resources": [{"name": "places", "path": path, "format": "csv"}]}
    assert guard(descriptor) == (None, [
        guarded("path", PATH_RULE, f"{json.dumps(path)}; Frictionless not run"),
    ])


@pytest.mark.parametrize(("path", "shown"), [
    ("../places.csv", '"../places.csv"'), ("/etc/passwd", '"/etc/passwd"'), ("http://127.0.0.1:9/places.csv", '"http://127.0.0.1:9/places.csv"'),
    ("resources/.places.csv", '"resources/.places.csv"'), (["resources/places.csv"], '["resources/places.csv"]'), (None, "no path"),
])
def test_a_path_outside_the_rule_stops_frictionless(path: Any, shown: str) -> None:
    resource = {"name": "places", "format": "csv"} | ({} if path is None else {"path": path})
    assert guard({"name": "x", "resources": [resource]}) == (None, [
        guarded("path", PATH_RULE, f"{shown}; Frictionless not run"),
    ])


# ---------------------------------------------------------------- 8. patterns


def test_a_backtracking_pattern_is_refused(places: Path) -> None:
    set_cell(places, "places", 0, "name", "a" * 31 + "!")
    rehash(places)
    edit(places, lambda d: places_resource(d)["schema"]["fields"][1].setdefault("constraints", {}).update(pattern="(a+)+"))
    started = time.monotonic()
    problems = finishes(lambda: frictionless_layer(places), 60)  # before: not finished in 150 s
    assert time.monotonic() - started < 20
    assert problems == [guarded(
        "schema/fields/name/constraints/pattern", "a pattern of cnkz's own table definitions (cnkz checks its patterns itself)",
        f'"(a+)+"; refused, {NOT_PASSED}',
    )]


def test_only_the_patterns_of_the_table_definitions_pass() -> None:
    fields = [
        {"name": "a", "type": "string", "constraints": {"pattern": SLUG}},
        {"name": "b", "type": "string", "constraints": {"pattern": SLUG + " "}},
        {"name": "c", "type": "string", "constraints": {"pattern": ["(a+)+"]}},
    ]
    descriptor = {"name": "x", "resources": [{"name": "t", "path": "t.csv", "schema": {"fields": fields}}]}
    shown, problems = guard(descriptor)
    assert shown is not None
    assert [f["constraints"] for f in shown["resources"][0]["schema"]["fields"]] == [{"pattern": SLUG}, {}, {}]
    expected = "a pattern of cnkz's own table definitions (cnkz checks its patterns itself)"
    assert problems == [
        guarded("schema/fields/b/constraints/pattern", expected, f"{json.dumps(SLUG + ' ')}; refused, {NOT_PASSED}", "t"),
        guarded("schema/fields/c/constraints/pattern", expected, f'["(a+)+"]; refused, {NOT_PASSED}', "t"),
    ]


# ---------------------------------------------------------------- profiles and the other keys


def test_a_profile_url_is_not_fetched(places: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        d["profile"] = "https://datapackage.org/profiles/2.0/datapackage.json"  # check_local_only lets these through
        places_resource(d)["profile"] = "https://datapackage.org/profiles/2.0/dataresource.json"
    edit(places, change)
    with audited() as seen:
        problems = frictionless_layer(places)
    assert [what for event, what in seen if event.startswith("socket.")] == []  # before: a lookup of datapackage.org
    assert problems == [
        guarded("profile", "profile data-package or tabular-data-package (any other is fetched)",
                f'"https://datapackage.org/profiles/2.0/datapackage.json"; {NOT_PASSED}', "datapackage.json"),
        guarded("profile", "profile data-resource or tabular-data-resource (any other is fetched)",
                f'"https://datapackage.org/profiles/2.0/dataresource.json"; {NOT_PASSED}'),
    ]


def test_every_other_key_is_left_out_and_named() -> None:
    resource = {
        "name": "t", "path": "resources/t.csv", "format": "zip", "scheme": "http", "compression": "gz", "innerpath": "t.csv",
        "control": {"type": "remote"}, "data": [[1], [2], [3], [4]], "type": "package", "encoding": "zlib", "bytes": True,
        "dialect": {"delimiter": ";", "csv": {"delimiter": ","}, "headerRows": [1, 2]},
        "schema": {
            "fields": [
                {"name": "a", "type": "geojson", "format": "%Y", "bareNumber": False, "constraints": {"required": True, "jsonSchema": {}}},
                "b",
                {"type": "date", "arrayItem": {"type": "string"}},
            ],
            "foreignKeys": [{"fields": "a", "reference": {"resource": "u", "fields": "a", "path": "u.csv"}}],
            "missingValues": [""], "uniqueKeys": [["a"]],
        },
    }
    shown, problems = guard({"name": "x", "image": "https://example.org/x.png", "resources": [resource]})
    assert shown == {"name": "x", "resources": [{
        "name": "t", "path": "resources/t.csv", "dialect": {"delimiter": ";"},
        "schema": {
            "fields": [{"name": "a", "constraints": {"required": True}}, {"type": "date"}],
            "foreignKeys": [{"fields": "a", "reference": {"resource": "u", "fields": "a"}}], "missingValues": [""],
        },
    }]}
    assert [str(p) for p in problems] == [f"[frictionless_guard] {where}: expected {expected}, found {found}; {NOT_PASSED}" for where, expected, found in [
        ("datapackage.json property image", "only the keys Frictionless needs to validate a package", '"https://example.org/x.png"'),
        ("t property scheme", RESOURCE_KEY, '"http"'),
        ("t property compression", RESOURCE_KEY, '"gz"'),
        ("t property innerpath", RESOURCE_KEY, '"t.csv"'),
        ("t property control", RESOURCE_KEY, "an object with 1 key"),
        ("t property data", RESOURCE_KEY, "a list of 4 items"),
        ("t property type", "type table", '"package"'),
        ("t property encoding", "encoding utf-8", '"zlib"'),
        ("t property bytes", "a number of bytes", "true"),
        ("t property format", "format csv, as the path ends", '"zip"'),
        ("t property schema/uniqueKeys", "only the keys Frictionless needs to validate a table schema", "a list of 1 item"),
        ("t property schema/fields/a/type", "a type cnkz publishes (string, integer, number, boolean, date)", '"geojson"'),
        ("t property schema/fields/a/format", "format default", '"%Y"'),
        ("t property schema/fields/a/bareNumber", "only the keys Frictionless needs to validate a field", "false"),
        ("t property schema/fields/a/constraints/jsonSchema", "only the keys Frictionless needs to validate a field's constraints", "an object with 0 keys"),
        ("t property schema/fields/1", "an object", '"b"'),
        ("t property schema/fields/2/arrayItem", "only the keys Frictionless needs to validate a field", "an object with 1 key"),
        ("t property schema/foreignKeys/0/reference/path", "only the keys Frictionless needs to validate a foreign key's reference", '"u.csv"'),
        ("t property dialect/csv", "only the keys Frictionless needs to validate a CSV dialect", "an object with 1 key"),
        ("t property dialect/headerRows", "only the keys Frictionless needs to validate a CSV dialect", "[1, 2]"),
    ]]


def test_a_schema_or_dialect_by_reference_is_left_out() -> None:
    resource = {"name": "t", "path": "t.csv", "schema": "http://127.0.0.1:9/schema.json", "dialect": "dialect.json"}
    assert guard({"name": "x", "resources": [resource]}) == ({"name": "x", "resources": [{"name": "t", "path": "t.csv"}]}, [
        guarded("schema", "the schema inline in the descriptor (never fetched)", f'"http://127.0.0.1:9/schema.json"; {NOT_PASSED}', "t"),
        guarded("dialect", "the dialect inline in the descriptor (never fetched)", f'"dialect.json"; {NOT_PASSED}', "t"),
    ])


def test_the_guards_problems_are_capped() -> None:
    resource = {"name": "t", "path": "t.csv", **{f"k{i}": "x" * 1000 for i in range(1000)}}
    _, problems = guard({"name": "x", "resources": [resource]})
    assert len(problems) == frictionless_guard.LISTED + 1
    assert problems[0].found == f'"{"x" * frictionless_guard.SHOWN}"…; {NOT_PASSED}'
    assert problems[-1] == guarded("", f"no more than {frictionless_guard.LISTED} listed", "800 more not listed", "datapackage.json")


def test_a_descriptor_without_a_list_of_resources_stops_frictionless() -> None:
    assert guard({"name": "x", "resources": {"path": "t.csv"}}) == (None, [
        guarded("resources", "a list of resources", "an object with 1 key; Frictionless not run", "datapackage.json")])
    assert guard({"name": "x", "resources": ["t.csv"]}) == (None, [
        guarded("resources/0", "a resource object", '"t.csv"; Frictionless not run', "datapackage.json")])
