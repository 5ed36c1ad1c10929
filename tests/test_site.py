"""The static site and the discovery metadata: complete, offline, reproducible, and derived from the one address setting."""

from __future__ import annotations

import html
import json
import re
import struct
from pathlib import Path
from typing import Any

import pytest

from cnkz.cli import main
from cnkz.docs import check_docs, write_docs
from cnkz.errors import BuildError, CnkzError
from cnkz.metadata import CROISSANT, NO_ADDRESS, ZENODO, base_url, croissant, dataset_jsonld, read_table
from cnkz.site import Quote, external_references, highlighted, site_files
from cnkz.tables import TABLES

from .conftest import ROOT, read_rows

# Google Dataset Search: the required properties, and the recommended ones this dataset can fill.
GOOGLE_REQUIRED = ("name", "description")
GOOGLE_RECOMMENDED = ("citation", "creator", "distribution", "isAccessibleForFree", "keywords", "license", "measurementTechnique",
                      "spatialCoverage", "temporalCoverage", "variableMeasured", "version", "alternateName")


def table_rows(root: Path, name: str) -> list[dict[str, str]]:
    header, *rows = read_rows(root / "resources" / f"{name}.csv")
    return [dict(zip(header, row)) for row in rows]


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    return site_files(ROOT)


def text(files: dict[str, bytes], name: str) -> str:
    return files[name].decode("utf-8")


def jsonld_of(page: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/ld\+json">\n(.*?)\n</script>', page, re.S)
    assert match
    return dict(json.loads(match.group(1)))


def set_base_url(repo: Path, value: str) -> None:
    pyproject = repo / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    assert "\n[tool.cnkz]\n" in text
    pyproject.write_text(text.replace("\n[tool.cnkz]\n", f'\n[tool.cnkz]\nbase-url = "{value}"\n', 1), encoding="utf-8")


def test_site_has_a_page_per_table_and_per_source_text_and_the_documents(files: dict[str, bytes]) -> None:
    sources = table_rows(ROOT, "sources")
    expected = {"index.html", "codebook.html", "curation.html", "changelog.html", "assets/site.css", "assets/site.js",
                "figures/timeline.svg", "figures/targets.svg"}
    expected |= {f"tables/{t.name}.html" for t in TABLES} | {f"sources/{s['source_id']}.html" for s in sources}
    assert set(files) == expected


def test_site_is_byte_reproducible_and_the_command_writes_it(repo: Path, files: dict[str, bytes], capsys: pytest.CaptureFixture[str]) -> None:
    assert site_files(ROOT) == files
    assert main(["site", "--root", str(repo)]) == 0
    assert f"wrote {len(files)} files to {repo / 'site'}" in capsys.readouterr().out
    written = {str(p.relative_to(repo / "site")): p.read_bytes() for p in (repo / "site").rglob("*") if p.is_file()}
    assert written == files
    assert main(["site", "--root", str(repo)]) == 0  # a second run replaces the folder whole
    assert sorted(p.name for p in repo.iterdir() if p.name.startswith(".site")) == []


def test_nothing_is_loaded_from_elsewhere(files: dict[str, bytes]) -> None:
    pages = [(name, data.decode("utf-8")) for name, data in files.items() if name.endswith((".html", ".css", ".js"))]
    assert external_references(pages) == []
    # The check itself finds what it is for.
    assert external_references([("x.html", '<script src="https://cdn.example/x.js"></script><link rel="stylesheet" href="//fonts.example/f.css">')]) == [
        "x.html: https://cdn.example/x.js", "x.html: //fonts.example/f.css"]


def test_every_local_link_and_image_points_at_a_file_of_the_package(files: dict[str, bytes], tmp_path: Path) -> None:
    for name, data in files.items():
        if not name.endswith(".html"):
            continue
        folder = (ROOT / "site" / name).parent
        for target in re.findall(r'(?:href|src)="([^"#]+)(?:#[^"]*)?"', data.decode("utf-8")):
            if re.match(r"^[a-z]+:", target) or target.startswith("../releases/"):
                continue
            resolved = (folder / html.unescape(target)).resolve()
            inside_site = resolved.is_relative_to(ROOT / "site")
            exists = str(resolved.relative_to(ROOT / "site")) in files if inside_site else resolved.exists()
            assert exists, (name, target)


def test_document_pages_link_the_other_pages_and_drop_links_to_files_no_release_holds() -> None:
    from cnkz.site import markdown_page

    text = "See the [codebook](docs/codebook.md#events), [events](resources/events.csv), [the rules](src/cnkz/validate.py) and [CC](https://example.org/)."
    page = markdown_page("x", text, "X", "1.0.0")
    assert ('See the <a href="codebook.html#events">codebook</a>, <a href="../resources/events.csv">events</a>, the rules '
            'and <a href="https://example.org/">CC</a>.') in page


def test_table_pages_hold_every_row_and_every_vocabulary_meaning(files: dict[str, bytes]) -> None:
    for table in TABLES:
        page = text(files, f"tables/{table.name}.html")
        rows = table_rows(ROOT, table.name)
        ids = re.findall(r'<tr id="row-([^"]+)">', page)
        assert ids == [html.escape("--".join(r[k] for k in table.primary_key)) for r in rows]
        assert f"{len(rows)} of {len(rows)} rows" in page
        for f in table.fields:
            if f.vocabulary is not None:
                assert f'id="vocabulary-{f.name}"' in page
                for code, meaning in f.vocabulary.values:
                    assert f"<td><code>{html.escape(code)}</code></td><td>{html.escape(meaning)}" in page


def test_provenance_links_go_both_ways(files: dict[str, bytes]) -> None:
    for table in TABLES:
        if "quote" not in table.columns:
            continue
        page = text(files, f"tables/{table.name}.html")
        for row in table_rows(ROOT, table.name):
            key = html.escape("--".join(row[k] for k in table.primary_key))
            anchor = f"q-{table.name}-{key}"
            assert f'href="../sources/{row["source_id"]}.html#{anchor}"' in page
            source = text(files, f"sources/{row['source_id']}.html")
            assert f'<span class="anchor" id="{anchor}"></span>' in source
            assert f'href="../tables/{table.name}.html#row-{key}"' in source
            assert f"{table.name}:{key}" in source  # named by the highlights that cover it


def test_highlights_split_overlapping_quotes_and_refuse_a_wrong_offset() -> None:
    words = "The two sides agreed to expand trade."
    a, b = Quote("pledges", "x.a", 4, 20, words[4:20]), Quote("figures", "x.b", 14, 36, words[14:36])
    out = highlighted(words, [a, b])
    assert out == ('The <span class="anchor" id="q-pledges-x.a"></span>'
                   '<a class="q d1" href="#list-pledges-x.a" data-rows="pledges:x.a" title="pledges x.a">two sides </a>'
                   '<span class="anchor" id="q-figures-x.b"></span>'
                   '<a class="q d2" href="#list-pledges-x.a" data-rows="pledges:x.a figures:x.b" title="pledges x.a; figures x.b">agreed</a>'
                   '<a class="q d1" href="#list-figures-x.b" data-rows="figures:x.b" title="figures x.b"> to expand trade</a>.')
    with pytest.raises(CnkzError, match=r"^quote of pledges row x.a is not at 5:20 of its source text; run `cnkz validate`$"):
        highlighted(words, [Quote("pledges", "x.a", 5, 20, words[4:20])])


def test_home_page_has_counts_downloads_citation_and_loading(files: dict[str, bytes]) -> None:
    page = text(files, "index.html")
    for table in TABLES:
        assert f'<td><a href="tables/{table.name}.html">{table.name}</a></td><td class="num">{len(table_rows(ROOT, table.name))}</td>' in page
    index = json.loads((ROOT / "releases" / "index.json").read_text(encoding="utf-8"))
    for version, entry in index.items():
        size = (ROOT / "releases" / entry["archive"]).stat().st_size
        assert f'<td>{version}</td><td><a href="../releases/{entry["archive"]}">{entry["archive"]}</a></td><td>{size / 1024:.1f} KiB</td>' in page
        assert f"<code>{entry['sha256']}</code></td><td>{entry['date']}</td>" in page
    assert "@misc{china_kazakhstan_engagements_" in page and "[Data set]." in page
    assert 'pd.read_parquet("resources/events.parquet")' in page and "library(frictionless)" in page and "FROM 'resources/events.parquet'" in page
    assert '<img src="figures/timeline.svg"' in page and '<img src="figures/targets.svg"' in page


def test_jsonld_has_what_google_dataset_search_asks_for(files: dict[str, bytes]) -> None:
    data = jsonld_of(text(files, "index.html"))
    assert data["@context"] == "https://schema.org/" and data["@type"] == "Dataset"
    for key in GOOGLE_REQUIRED + GOOGLE_RECOMMENDED:
        assert data.get(key), key
    assert 50 <= len(data["description"]) <= 5000  # Google's limits for a description
    descriptor = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    assert data["version"] == descriptor["version"]
    assert data["license"] == descriptor["licenses"][0]["path"]
    events = read_table(ROOT, "events")
    days = sorted(d for e in events for d in (e["start_date"], e["end_date"]) if d)
    assert data["temporalCoverage"] == f"{days[0]}/{days[-1]}"
    assert {p["name"] for p in data["spatialCoverage"]} == {"China", "Kazakhstan"}
    assert [v["name"] for v in data["variableMeasured"]] == [f"{t.name}.{f.name}" for t in TABLES for f in t.fields]
    downloads = {d["name"]: d for d in data["distribution"]}
    for resource in descriptor["resources"]:
        download = downloads[resource["name"]]
        assert download["@type"] == "DataDownload"
        assert download["contentUrl"] == f"../{resource['path']}"
        assert download["encodingFormat"] == resource["mediatype"]
        assert "sha256:" + download["sha256"] == resource["hash"]
    for version, entry in json.loads((ROOT / "releases" / "index.json").read_text(encoding="utf-8")).items():
        download = downloads[entry["archive"]]
        expected = (f"../releases/{entry['archive']}", "application/zip", entry["sha256"])
        assert (download["contentUrl"], download["encodingFormat"], download["sha256"]) == expected
        assert download["uploadDate"] == entry["date"], version
    # No address is set in this repository: no absolute link is made up, and the metadata says why.
    assert "url" not in data and data["disambiguatingDescription"] == NO_ADDRESS


def test_one_base_url_setting_makes_every_address_absolute(repo: Path) -> None:
    set_base_url(repo, "https://data.example.org/cnkz")
    assert base_url(repo) == "https://data.example.org/cnkz/"
    data = dataset_jsonld(repo, "site")
    assert data["url"] == "https://data.example.org/cnkz/site/index.html"
    assert "disambiguatingDescription" not in data
    assert all(d["contentUrl"].startswith("https://data.example.org/cnkz/") for d in data["distribution"])
    assert all(f["contentUrl"].startswith("https://data.example.org/cnkz/resources/") for f in croissant(repo)["distribution"])
    write_docs(repo)
    citation = (repo / "CITATION.cff").read_text(encoding="utf-8")
    assert 'url: "https://data.example.org/cnkz/site/index.html"\nrepository-artifact: "https://data.example.org/cnkz/releases/"\n' in citation
    zenodo = json.loads((repo / ZENODO).read_text(encoding="utf-8"))
    assert "notes" not in zenodo and zenodo["related_identifiers"][0]["identifier"] == "https://data.example.org/cnkz/datapackage.json"
    page = site_files(repo)["index.html"].decode("utf-8")
    assert 'href="https://data.example.org/cnkz/releases/china-kazakhstan-engagements-1.0.0.zip"' in page
    assert "No public address is set" not in page


def test_a_malformed_base_url_is_refused_with_the_fix(repo: Path) -> None:
    set_base_url(repo, "data.example.org/cnkz")
    with pytest.raises(BuildError) as caught:
        base_url(repo)
    assert str(caught.value) == (f"{repo / 'pyproject.toml'}, field tool.cnkz.base-url: base-url 'data.example.org/cnkz' is not an http(s) address "
                                 'such as "https://example.org/cnkz/"; fix it or remove it')


def test_metadata_files_are_current_and_a_stale_one_is_caught(repo: Path) -> None:
    assert check_docs(ROOT) == []
    path = repo / CROISSANT
    path.write_text(path.read_text(encoding="utf-8").replace('"version": "', '"version": "0', 1), encoding="utf-8")
    assert [p.table for p in check_docs(repo)] == [CROISSANT]
    (repo / ZENODO).unlink()
    assert [p.table for p in check_docs(repo)] == [CROISSANT, ZENODO]
    write_docs(repo)
    assert check_docs(repo) == []


def test_zenodo_metadata_is_a_deposit_of_the_current_version() -> None:
    zenodo = json.loads((ROOT / ZENODO).read_text(encoding="utf-8"))
    descriptor = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    assert zenodo["upload_type"] == "dataset" and zenodo["access_right"] == "open"
    assert zenodo["version"] == descriptor["version"] and zenodo["license"] == "cc-by-4.0"
    assert [c["name"] for c in zenodo["creators"]] == [c["title"] for c in descriptor["contributors"]]
    assert zenodo["notes"] == NO_ADDRESS


# mlcroissant's JSON-LD parsing goes through an rdflib class that rdflib now deprecates; not ours to fix.
@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
def test_croissant_is_valid_for_mlcroissant_and_reads_the_same_values() -> None:
    mlc = pytest.importorskip("mlcroissant", reason="mlcroissant is in the test dependency group")
    dataset = mlc.Dataset(jsonld=str(ROOT / CROISSANT))
    assert dataset.metadata.ctx.issues.errors == set()
    assert dataset.metadata.ctx.issues.warnings == set()
    for table in TABLES:
        rows = table_rows(ROOT, table.name)
        records = list(dataset.records(table.name))
        assert len(records) == len(rows)
        for record, row in zip(records, rows):
            for f in table.fields:
                value = record[f"{table.name}/{f.name}"]
                if row[f.name] == "":
                    assert value is None or value != value, (table.name, f.name)  # None or NaN
                elif f.type == "date":
                    assert value.date().isoformat() == row[f.name]
                elif f.type == "boolean":
                    assert value == (row[f.name] == "true")
                elif f.type in ("integer", "number"):
                    assert float(value) == float(row[f.name])
                elif row[f.name].isdigit():
                    # mlcroissant infers types while reading CSV, so a text code such as "042" comes back as 42.
                    assert int(value) == int(row[f.name])
                else:
                    assert value.decode("utf-8") == row[f.name], (table.name, f.name)


def test_readme_shows_the_screenshots_of_the_home_and_a_provenance_page() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in ("home", "provenance"):
        assert f"](docs/screenshots/{name}.png)" in readme
        data = (ROOT / "docs" / "screenshots" / f"{name}.png").read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", data[16:24])
        assert (width, height) >= (1000, 600)
