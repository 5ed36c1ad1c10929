"""Fuzzing every entry point with mutated archives, descriptors, CSV, YAML and HTTP responses.

Whatever the input, only the project's own errors (cnkz.errors.CnkzError) may escape, each example
must finish in bounded time, and memory stays bounded. The normal suite runs a few derandomised
examples per entry point; `CNKZ_FUZZ=long pytest tests/test_fuzz.py` runs many random ones
(`CNKZ_FUZZ_EXAMPLES=N` sets how many).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import resource
import shutil
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cnkz
from cnkz.build import build
from cnkz.diff import diff, load_snapshot, render_text
from cnkz.errors import CnkzError
from cnkz.fetch import fetch
from cnkz.limits import Limits, using
from cnkz.release import release
from cnkz.validate import validate

from .conftest import ARCHIVE, RELEASE_DATE, VERSION, copy_repo
from .hostile import serve_routes
from .test_load import release_archive

# One xdist worker (--dist loadgroup) runs this module's tests, so the pristine package and its archive are made once.
pytestmark = pytest.mark.xdist_group("fuzz")

LONG = os.environ.get("CNKZ_FUZZ") == "long"


def examples(normal: int) -> int:
    return int(os.environ.get("CNKZ_FUZZ_EXAMPLES", 0)) or (normal * 50 if LONG else normal)


def fuzz_settings(normal: int) -> settings:
    return settings(
        max_examples=examples(normal), deadline=None, derandomize=not LONG, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
    )


SECONDS = 120  # one example, at most: a hang fails the test instead of stalling the suite
MEMORY_GROWTH = 1500 * 1024  # kB of peak resident memory the fuzzing may add
CAPS = Limits(member_bytes=8 << 20, download_bytes=16 << 20, download_seconds=10)
TOP = ARCHIVE.removesuffix(".zip")


def only_our_errors(action: Callable[[], object]) -> object:
    """Run `action` in bounded time; return its result or our error; anything else fails the test."""
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(action())
        except CnkzError as exc:
            outcome.append(exc)
        except BaseException as exc:  # reported below with its type, as the finding
            outcome.append(("escaped", exc))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(SECONDS)
    assert outcome, f"no answer within {SECONDS} s"
    result = outcome[0]
    if isinstance(result, tuple) and result[:1] == ("escaped",):
        raise AssertionError(f"{type(result[1]).__name__} escaped: {result[1]}") from result[1]
    return result


@pytest.fixture(scope="module", autouse=True)
def bounded_memory() -> Iterator[None]:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    yield
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown < MEMORY_GROWTH, f"peak memory grew by {grown} kB while fuzzing"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy of the repository's package, with its release archive and that archive unpacked."""
    root = tmp_path_factory.mktemp("pristine")
    repo = copy_repo(root / "repo")
    archive = release_archive(repo, root / f"{TOP}.zip")
    with zipfile.ZipFile(archive) as z:
        z.extractall(root / "unpacked")
    return root


@contextlib.contextmanager
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="cnkz-fuzz-") as tmp:
        yield Path(tmp)


# ---------------------------------------------------------------- mutations

ODD_TEXT = st.sampled_from([
    "", " ", "inf", "-Infinity", "nan", "NaN", "1e309", "99999999999999999999999", "-1", "0", "1.5", "true", "=cmd()", "\x00", "\x07",
    "\ufeff", "é", "\r\n", '"', "'", ",", "\n", "x" * 5000, "resources/events.csv", "datapackage.json", "SHA256SUMS", "../x", "/etc/hostname",
    "http://127.0.0.1:9/x", "ftp://127.0.0.1/x", "a\x00b", "seeds/../../x", "extra", "extra/b", "~/x", "$HOME", "C:\\x", "x" * 300,
])
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12) | ODD_TEXT
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8) | ODD_TEXT, inner, max_size=4),
                    max_leaves=8)
DEEP = "\u2063deep\u2063"  # stands for a nesting too deep to build as Python objects; expanded in the text


def mutate_bytes(draw: Any, data: bytes) -> bytes:
    """Flip, cut, insert or repeat a few stretches of bytes."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "repeat", "truncate"]))
        at = draw(st.integers(0, max(len(out) - 1, 0)))
        if kind == "flip" and out:
            out[at] = draw(st.integers(0, 255))
        elif kind == "cut":
            del out[at : at + draw(st.integers(1, 64))]
        elif kind == "insert":
            out[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif kind == "repeat":
            out[at:at] = out[at : at + draw(st.integers(1, 256))] * draw(st.integers(1, 8))
        else:
            del out[at:]
    return bytes(out)


def mutate_json(draw: Any, value: Any) -> Any:
    """Replace, delete or add one node somewhere in a JSON document."""
    value = json.loads(json.dumps(value))
    parent: Any = None
    key: Any = None
    node = value
    for _ in range(draw(st.integers(0, 6))):
        if isinstance(node, dict) and node:
            parent, key = node, draw(st.sampled_from(sorted(node)))
        elif isinstance(node, list) and node:
            parent, key = node, draw(st.integers(0, len(node) - 1))
        else:
            break
        node = parent[key]
    new = draw(JSON | st.just(DEEP))
    if parent is None:
        return new
    action = draw(st.sampled_from(["replace", "delete", "add"]))
    if action == "replace":
        parent[key] = new
    elif action == "delete":
        del parent[key]
    elif isinstance(parent, dict):
        parent[draw(st.text(max_size=8) | ODD_TEXT)] = new
    else:
        parent.insert(key, new)
    return value


def json_bytes(draw: Any, value: Any) -> bytes:
    text = json.dumps(mutate_json(draw, value), ensure_ascii=draw(st.booleans()))
    depth = draw(st.sampled_from([70, 2000, 100_000]))
    text = text.replace(json.dumps(DEEP), "[" * depth + "]" * depth)
    data = text.encode("utf-8")
    return mutate_bytes(draw, data) if draw(st.integers(0, 4)) == 0 else data


def mutate_csv(draw: Any, data: bytes) -> bytes:
    lines = data.decode("utf-8").split("\n")
    kind = draw(st.sampled_from(["cell", "bytes", "drop column", "lines"]))
    if kind == "bytes":
        return mutate_bytes(draw, data)
    if kind == "lines":
        at = draw(st.integers(0, len(lines) - 1))
        lines[at:at] = [lines[at]] * draw(st.integers(0, 3)) if draw(st.booleans()) else []
        if draw(st.booleans()):
            del lines[at]
        return "\n".join(lines).encode("utf-8")
    import csv
    import io

    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    if kind == "drop column":
        column = draw(st.integers(0, len(rows[0]) - 1))
        rows = [r[:column] + r[column + 1 :] for r in rows]
    else:
        row = draw(st.integers(0, len(rows) - 1))
        column = draw(st.integers(0, len(rows[row]) - 1))
        rows[row][column] = draw(ODD_TEXT | st.text(max_size=30))
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode("utf-8", errors="surrogatepass")


def mutate_member(draw: Any, name: str, data: bytes) -> bytes:
    try:
        if name.endswith(".json"):
            return json_bytes(draw, json.loads(data))
        if name.endswith(".csv"):
            return mutate_csv(draw, data)
    except ValueError:
        pass  # mutated already into something that is not JSON or UTF-8 text: mutate its bytes
    return mutate_bytes(draw, data)


_MEMBERS: dict[str, bytes] = {}  # the pristine archive's members; kept out of strategy arguments, whose repr hypothesis builds


@st.composite
def mutated_archives(draw: Any) -> bytes:
    """A release archive with one member mutated, members added, dropped or repeated, or its own bytes mutated."""
    members = dict(_MEMBERS)
    names = sorted(members)
    extra: list[tuple[str, bytes]] = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["member", "member", "drop", "add", "repeat", "big"]))
        name = draw(st.sampled_from(names))
        if kind == "member" and name in members:
            members[name] = mutate_member(draw, name, members[name])
        elif kind == "drop":
            members.pop(name, None)
        elif kind == "add":
            extra.append((draw(ODD_TEXT | st.text(min_size=1, max_size=12)), draw(st.binary(max_size=64))))
        elif kind == "repeat":
            extra.append((f"{TOP}/{name}", draw(st.binary(max_size=64))))
        else:
            members[name] = b"\0" * (CAPS.member_bytes + 1)  # over the (lowered) cap: refused, not read
    buffer = _zip(members, extra)
    return mutate_bytes(draw, buffer) if draw(st.integers(0, 3)) == 0 else buffer


def _zip(members: dict[str, bytes], extra: list[tuple[str, bytes]]) -> bytes:
    import io
    import warnings

    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are the point
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in sorted(members.items()):
                z.writestr(f"{TOP}/{name}", data)
            for name, data in extra:
                with contextlib.suppress(IndexError, ValueError):  # names zipfile itself cannot write
                    z.writestr(name, data)
    return buffer.getvalue()


def members_of(pristine: Path) -> dict[str, bytes]:
    if not _MEMBERS:
        with zipfile.ZipFile(pristine / f"{TOP}.zip") as z:
            _MEMBERS.update({i.filename.split("/", 1)[1]: z.read(i) for i in z.infolist() if not i.is_dir()})
    return _MEMBERS


# ---------------------------------------------------------------- entry points


@fuzz_settings(12)
@given(data=st.data())
def test_load_survives_mutated_archives(pristine: Path, data: st.DataObject) -> None:
    members_of(pristine)
    archive = data.draw(mutated_archives())
    with scratch() as tmp:
        path = tmp / "a.zip"
        path.write_bytes(archive)
        fmt = data.draw(st.sampled_from(["parquet", "csv"]))
        only_our_errors(lambda: cnkz.load(path, format=fmt, limits=CAPS))
        only_our_errors(lambda: cnkz.load(path, format=fmt, verify=False, limits=CAPS))


def mutated_folder(data: st.DataObject, pristine: Path, target: Path) -> Path:
    folder = shutil.copytree(pristine / "unpacked" / TOP, target)
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    for _ in range(data.draw(st.integers(1, 2))):
        name = data.draw(st.sampled_from(["datapackage.json", "datapackage.json", *files]))
        path = folder / name
        path.write_bytes(mutate_member(data.draw, name, path.read_bytes()))
    return folder


@fuzz_settings(4)
@given(data=st.data())
def test_validate_survives_mutated_packages(pristine: Path, data: st.DataObject) -> None:
    with scratch() as tmp:
        folder = mutated_folder(data, pristine, tmp / "package")
        result = only_our_errors(lambda: validate(folder))
        assert isinstance(result, list)  # validation reports problems; it never raises


@fuzz_settings(10)
@given(data=st.data())
def test_diff_survives_mutated_packages(pristine: Path, data: st.DataObject) -> None:
    with scratch() as tmp:
        old = shutil.copytree(pristine / "unpacked" / TOP, tmp / "old")
        new = mutated_folder(data, pristine, tmp / "new")
        result = only_our_errors(lambda: render_text(diff(load_snapshot(old), load_snapshot(new))))
        assert isinstance(result, (str, CnkzError))


# ---------------------------------------------------------------- security round 3: the new classes


@st.composite
def aliased_names(draw: Any, name: str) -> str:
    """Another spelling of the member `name`: an empty or dot segment, another case, decomposed accents, or an absolute path
    behind an empty segment (which stripping the top folder would turn into a path anywhere on disk)."""
    folder, _, file = name.rpartition("/")
    kind = draw(st.sampled_from(["empty", "dot", "case", "nfd", "absolute", "trailing"]))
    if kind == "empty":
        return f"{TOP}/{folder}//{file}" if folder else f"{TOP}//{file}"
    if kind == "dot":
        return f"{TOP}/./{name}"
    if kind == "case":
        return f"{TOP}/{name.upper()}"
    if kind == "nfd":
        return f"{TOP}/{name[:-1]}e\u0301"
    if kind == "trailing":
        return f"{TOP}/{name}/."
    return f"{TOP}//{draw(st.sampled_from(['tmp', 'etc', 'root']))}/cnkz-fuzz-canary"


@fuzz_settings(6)
@given(data=st.data())
def test_validate_and_load_refuse_aliased_member_names(pristine: Path, data: st.DataObject) -> None:
    members = members_of(pristine)
    name = data.draw(st.sampled_from(sorted(members)))
    alias = data.draw(aliased_names(name))
    with scratch() as tmp:
        path = tmp / "a.zip"
        path.write_bytes(_zip(members, [(alias, b"x" * 64)]))
        before = {p for p in Path("/tmp").glob("cnkz-fuzz-canary*")}
        result = only_our_errors(lambda: validate(path))
        assert isinstance(result, list) and [p.check for p in result] == ["archive"], (alias, result[:3])
        assert isinstance(only_our_errors(lambda: cnkz.load(path, limits=CAPS)), CnkzError), alias
        assert {p for p in Path("/tmp").glob("cnkz-fuzz-canary*")} == before


HOSTILE_KEYS = st.sampled_from([
    ("extrapaths", ["resources/places.csv"]), ("extrapaths", ["http://127.0.0.1:9/x.csv"]), ("extrapaths", ["/dev/zero"]),
    ("compression", "zip"), ("compression", "gz"), ("innerpath", "x.csv"), ("scheme", "http"), ("control", {"type": "remote"}),
    ("path", "resources/figures.csv.zip"), ("path", "resources/figures.csv?format=zip"),
])


@fuzz_settings(6)
@given(data=st.data())
def test_frictionless_never_sees_a_key_it_could_misuse(pristine: Path, data: st.DataObject) -> None:
    from cnkz.validate import check_frictionless

    with scratch() as tmp:
        folder = shutil.copytree(pristine / "unpacked" / TOP, tmp / "package")
        descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
        resource = data.draw(st.sampled_from(descriptor["resources"]))
        key, value = data.draw(HOSTILE_KEYS)
        if data.draw(st.booleans()):
            resource[key] = value
        else:  # a hostile pattern on a text field instead
            field = data.draw(st.sampled_from([f for f in resource["schema"]["fields"] if f["type"] == "string"]))
            field.setdefault("constraints", {})["pattern"] = data.draw(st.sampled_from(["(a+)+$", "(a|a)*$", "([a-z]+)*[0-9]$"]))
        (folder / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
        (folder / "SHA256SUMS").unlink()
        result = only_our_errors(lambda: validate(folder, [check_frictionless]))
        assert isinstance(result, list) and any(p.check == "frictionless_guard" for p in result), result[:3]


@fuzz_settings(6)
@given(data=st.data())
def test_parquet_dictionaries_are_capped_before_they_are_decoded(pristine: Path, data: st.DataObject) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from cnkz.validate import check_rows

    with scratch() as tmp:
        folder = shutil.copytree(pristine / "unpacked" / TOP, tmp / "package")
        table = data.draw(st.sampled_from(["events", "pledges", "figures", "sources"]))
        path = folder / "resources" / f"{table}.parquet"
        stored = pq.read_table(path)
        rows = pa.concat_tables([stored] * data.draw(st.integers(1, 40)))
        column = data.draw(st.sampled_from([f.name for f in rows.schema if pa.types.is_string(f.type)]))
        long = "x" * data.draw(st.sampled_from([1 << 10, 1 << 18, 1 << 20]))
        # Built as a dictionary (one value, every row pointing at it), as a hostile writer would: never decoded here.
        repeated = pa.DictionaryArray.from_arrays(pa.array([0] * rows.num_rows, pa.int32()), pa.array([long], pa.string()))
        rows = rows.set_column(rows.schema.get_field_index(column), column, repeated)
        pq.write_table(rows, path, use_dictionary=True, compression="zstd")
        (folder / "SHA256SUMS").unlink()
        descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
        for entry in descriptor["resources"]:
            if entry["path"] == f"resources/{table}.parquet":
                entry["hash"] = "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
                entry["bytes"] = path.stat().st_size
        (folder / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
        loaded = only_our_errors(lambda: cnkz.load(folder, limits=CAPS))
        if rows.num_rows * len(long) > CAPS.member_bytes:
            assert isinstance(loaded, CnkzError) and "over the cap of" in str(loaded), loaded
        else:
            assert isinstance(loaded, dict), loaded
        with using(CAPS):
            result = only_our_errors(lambda: validate(folder, [check_rows]))
        assert isinstance(result, list)


Response = tuple[int, dict[str, str], bytes]


def responses(data: st.DataObject, genuine: bytes, mutate: Callable[[Any, bytes], bytes]) -> Response:
    draw = data.draw
    status = draw(st.sampled_from([200, 200, 200, 200, 301, 302, 404, 500]))
    body = mutate(draw, genuine) if draw(st.booleans()) else genuine
    headers: dict[str, str] = {}
    length = draw(st.sampled_from(["right", "right", "short", "long", "none", "garbage"]))
    headers["Content-Length"] = {"right": str(len(body)), "short": str(max(len(body) - 7, 0)), "long": str(len(body) + 7), "none": "",
                                 "garbage": "-3"}[length]
    if status in (301, 302):
        headers["Location"] = draw(st.sampled_from(["ftp://127.0.0.1/x.zip", "file:///etc/hostname", "/releases/index.json", "http://127.0.0.1:9/x"]))
    return status, headers, body


def answer(response: Response) -> Callable[[BaseHTTPRequestHandler], None]:
    def route(handler: BaseHTTPRequestHandler) -> None:
        status, headers, body = response
        handler.send_response(status)
        for name, value in headers.items():
            if value:
                handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body[: int(headers["Content-Length"])] if headers.get("Content-Length", "").isdigit() else body)
        handler.close_connection = True
    return route


@fuzz_settings(10)
@given(data=st.data())
def test_fetch_survives_mutated_http_responses(pristine: Path, data: st.DataObject, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    members_of(pristine)
    archive = (pristine / f"{TOP}.zip").read_bytes()
    index = json.dumps({VERSION: {"archive": f"{TOP}.zip", "sha256": hashlib.sha256(archive).hexdigest(), "date": RELEASE_DATE}}).encode()
    unpacked = pristine / "unpacked" / TOP
    routes = {
        f"/releases/{TOP}.zip": answer(responses(data, archive, lambda d, b: d(mutated_archives()))),
        "/releases/index.json": answer(responses(data, index, lambda d, b: json_bytes(d, json.loads(b)))),
        "/data/datapackage.json": answer(responses(data, (unpacked / "datapackage.json").read_bytes(), lambda d, b: json_bytes(d, json.loads(b)))),
    }
    for path in sorted(unpacked.rglob("*")):
        if path.is_file() and path.name != "datapackage.json":
            name = path.relative_to(unpacked).as_posix()
            routes[f"/data/{name}"] = answer(responses(data, path.read_bytes(), lambda d, b, n=name: mutate_member(d, n, b))
                                             if data.draw(st.integers(0, 5)) == 0 else (200, {"Content-Length": str(path.stat().st_size)}, path.read_bytes()))
    with serve_routes(routes) as (base, _), scratch() as cache:
        url = data.draw(st.sampled_from([f"{base}/releases/{TOP}.zip", f"{base}/data/datapackage.json"]))
        only_our_errors(lambda: fetch(url, cache_dir=cache, timeout=5, limits=CAPS))
        only_our_errors(lambda: fetch(url, cache_dir=cache, offline=True, limits=CAPS))


CURATION = "2010-jia-qinglin-astana.yaml"


def mutate_yaml(draw: Any, text: str) -> str:
    kind = draw(st.sampled_from(["value", "value", "lines", "bytes"]))
    if kind == "bytes":
        return mutate_bytes(draw, text.encode("utf-8")).decode("utf-8", errors="replace")
    lines = text.split("\n")
    if kind == "lines":
        at = draw(st.integers(0, len(lines) - 1))
        lines[at:at] = [lines[draw(st.integers(0, len(lines) - 1))]] * draw(st.integers(1, 2))  # duplicate keys among them
        return "\n".join(lines)
    document = yaml.safe_load(text)
    # Scalars YAML can carry but JSON cannot, as a curator might type them.
    return yaml.safe_dump(mutate_json_yaml(draw, document), allow_unicode=True, sort_keys=False)


def mutate_json_yaml(draw: Any, value: Any) -> Any:
    mutated = mutate_json(draw, json.loads(json.dumps(value, default=str)))
    return _undeep(mutated)


def _undeep(value: Any) -> Any:
    if value == DEEP:
        return [[[[[]]]]]
    if isinstance(value, list):
        return [_undeep(v) for v in value]
    if isinstance(value, dict):
        return {k: _undeep(v) for k, v in value.items()}
    return value


@fuzz_settings(4)
@given(data=st.data())
def test_build_survives_mutated_curation(pristine: Path, data: st.DataObject) -> None:
    with scratch() as tmp:
        repo = copy_repo(tmp / "repo", ("pyproject.toml", "CHANGELOG.md", "seeds", "curation", "resources", "datapackage.json"))
        path = repo / "curation" / data.draw(st.sampled_from(sorted(p.name for p in (repo / "curation").glob("*.yaml"))))
        text = path.read_text(encoding="utf-8")
        if HARDENED and path.name == HU and data.draw(st.booleans()):
            text = HOSTILE_YAML[data.draw(st.sampled_from(sorted(HOSTILE_YAML)))](text)  # once the loader refuses them
        path.write_text(mutate_yaml(data.draw, text), encoding="utf-8")
        only_our_errors(lambda: build(repo))


@fuzz_settings(3)
@given(data=st.data())
def test_release_survives_a_mutated_releases_folder(pristine: Path, data: st.DataObject) -> None:
    with scratch() as tmp:
        repo = copy_repo(tmp / "repo")
        index = repo / "releases" / "index.json"
        archive = data.draw(st.sampled_from(sorted((repo / "releases").glob("*.zip"))))
        target = data.draw(st.sampled_from(["index", "index", "archive"]))
        if target == "index":
            index.write_bytes(json_bytes(data.draw, json.loads(index.read_bytes())))
        else:
            archive.write_bytes(mutate_bytes(data.draw, archive.read_bytes()))
        only_our_errors(lambda: release(repo, tmp / "dist"))


# ---------------------------------------------------------------- hostile curation YAML (refused by the curation loader)

HU = "2011-hu-jintao-astana.yaml"
BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(9))
HOSTILE_YAML = {
    "duplicate key": (lambda text: text.replace("    deadline: 2015\n", "    deadline: 2015\n    deadline: 2016\n", 1)),
    "infinite target": (lambda text: text.replace("target_value: 40000000000", "target_value: .inf", 1)),
    "NaN target": (lambda text: text.replace("target_value: 40000000000", "target_value: .nan", 1)),
    "overflowing deadline": (lambda text: text.replace("deadline: 2015", "deadline: 99999999999999999999999", 1)),
    "nested 20,000 deep": (lambda text: text + "\nextra: " + "[" * 20_000 + "]" * 20_000 + "\n"),
    "billion laughs": (lambda text: BOMB + text),
}


def _loader_is_hardened() -> bool:
    """Whether the curation loader refuses duplicate keys (it is hardened against the rest at the same time)."""
    from cnkz.curation import load_yaml

    with scratch() as tmp:
        probe = tmp / "probe.yaml"
        probe.write_text("a: 1\na: 2\n", encoding="utf-8")
        try:
            load_yaml(probe)
        except CnkzError:
            return True
    return False


HARDENED = _loader_is_hardened()


@pytest.mark.parametrize("attack", sorted(HOSTILE_YAML))
def test_build_refuses_hostile_curation_yaml(tmp_path: Path, attack: str) -> None:
    if not HARDENED:
        pytest.skip("the curation loader does not refuse hostile YAML yet (its hardening is the curation loading layer's)")
    repo = copy_repo(tmp_path / "repo", ("pyproject.toml", "CHANGELOG.md", "seeds", "curation", "resources", "datapackage.json"))
    before = (repo / "datapackage.json").read_bytes()
    path = repo / "curation" / HU
    edited = HOSTILE_YAML[attack](path.read_text(encoding="utf-8"))
    assert edited != path.read_text(encoding="utf-8")
    path.write_text(edited, encoding="utf-8")
    error = only_our_errors(lambda: build(repo))
    assert isinstance(error, CnkzError) and HU in str(error), error
    assert (repo / "datapackage.json").read_bytes() == before
