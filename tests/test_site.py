"""The static site and the discovery metadata: complete, offline, reproducible, and derived from the one address setting."""

from __future__ import annotations

import html
import io
import json
import re
import struct
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from cnkz.cli import main
from cnkz.docs import check_docs, write_docs
from cnkz.errors import BuildError, CnkzError
from cnkz.metadata import CROISSANT, NO_ADDRESS, ZENODO, base_url, croissant, dataset_jsonld, read_table
from cnkz.site import Quote, external_references, highlighted, site_files
from cnkz.tables import TABLES, TABLES_BY_NAME

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
    assert written.pop(".cnkz-site").startswith(b"cnkz site: ")  # the marker that makes the folder ours (see below)
    assert written == files
    assert main(["site", "--root", str(repo)]) == 0  # a second run replaces the folder whole
    assert sorted(p.name for p in repo.iterdir() if p.name.startswith(".site")) == []


def test_nothing_is_loaded_from_elsewhere(files: dict[str, bytes]) -> None:
    pages = [(name, data.decode("utf-8")) for name, data in files.items() if name.endswith((".html", ".css", ".js"))]
    assert external_references(pages) == []
    # The check itself finds what it is for.
    assert external_references([("x.html", '<script src="https://cdn.example/x.js"></script><link rel="stylesheet" href="//fonts.example/f.css">')]) == [
        "x.html: https://cdn.example/x.js", "x.html: //fonts.example/f.css"]


class Page(HTMLParser):
    """The ids of an HTML page and every href and src in it (attribute values unescaped, as a browser reads them)."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (tag == "a" and name == "name"):
                self.ids.add(value)
            if name in ("href", "src"):
                self.links.append(value)


def broken_links(top: Path, site: Path) -> list[str]:
    """Every href and src of every page under `site` that does not resolve on disk inside `top` (the folder a reader has:
    a clone of the repository, or an unpacked release), a #fragment included: it must be an id of the page it names."""
    pages: dict[Path, Page] = {}

    def parsed(path: Path) -> Page:
        if path not in pages:
            pages[path] = Page(path.read_text(encoding="utf-8"))
        return pages[path]

    broken, checked = [], 0
    for path in sorted(site.rglob("*.html")):
        for link in parsed(path).links:
            url = urlsplit(link)
            if url.scheme in ("http", "https") or url.scheme == "data":
                continue  # elsewhere (test_nothing_is_loaded_from_elsewhere: nothing is loaded from there)
            where = f"{path.relative_to(top)}: {link}"
            if url.scheme or url.netloc:
                broken.append(f"{where} (not a file)")
                continue
            target = (path.parent / unquote(url.path)).resolve() if url.path else path
            checked += 1
            if not target.is_relative_to(top.resolve()) or not target.exists():
                broken.append(f"{where} (no such file)")
            elif url.fragment and (target.suffix != ".html" or unquote(url.fragment) not in parsed(target).ids):
                broken.append(f"{where} (no such id)")
    assert checked > 1000  # every row link, quote link and highlight
    return broken


@pytest.fixture(scope="module")
def release_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The release archive of the current version as `cnkz release` packs it (site and README included), unpacked."""
    from cnkz.descriptor import changelog_date, project_version
    from cnkz.release import LAYOUT, archive_name, read_index, release_members, zip_bytes

    from .conftest import copy_repo

    repo = copy_repo(tmp_path_factory.mktemp("release") / "repo")
    version = project_version(repo)
    date = changelog_date(repo, version)
    data = zip_bytes(release_members(repo, version, date, LAYOUT, read_index(repo)), archive_name(version), date)
    out = tmp_path_factory.mktemp("unpacked")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(out)
    return out / archive_name(version)


def test_every_link_of_the_repository_site_resolves(repo: Path) -> None:
    assert main(["site", "--root", str(repo)]) == 0
    assert broken_links(repo, repo / "site") == []
    # The check finds what it is for.
    page = repo / "site" / "tables" / "events.html"
    page.write_text(page.read_text(encoding="utf-8") + '<a href="../releases/x-1.0.0.zip">x</a><a href="pledges.html#row-nope">y</a>'
                    '<img src="../../../outside.png"><a href="javascript:alert(1)">z</a>', encoding="utf-8")
    assert broken_links(repo, repo / "site") == [
        "site/tables/events.html: ../releases/x-1.0.0.zip (no such file)", "site/tables/events.html: pledges.html#row-nope (no such id)",
        "site/tables/events.html: ../../../outside.png (no such file)", "site/tables/events.html: javascript:alert(1) (not a file)"]


def test_every_link_of_the_site_in_a_release_resolves_and_its_text_is_for_a_reader(release_folder: Path) -> None:
    """The archive has no releases/ folder and no pyproject.toml: its site links neither and names no maintainer's setting."""
    from cnkz.site import RELEASE_NO_ADDRESS

    assert broken_links(release_folder, release_folder / "site") == []
    for path in sorted((release_folder / "site").rglob("*.html")):
        page = path.read_text(encoding="utf-8")
        for maintainer in ("pyproject.toml", "base-url", "releases/index.json", "when it is released", "../releases/"):
            assert maintainer not in page, (path.name, maintainer)
    home = (release_folder / "site" / "index.html").read_text(encoding="utf-8")
    version = json.loads((release_folder / "datapackage.json").read_text(encoding="utf-8"))["version"]
    assert f'<td>{version}</td><td colspan="4">this version: the archive this site came in, <code>china-kazakhstan-engagements-{version}.zip</code>' in home
    index = json.loads((ROOT / "releases" / "index.json").read_text(encoding="utf-8"))
    for earlier, entry in index.items():
        if earlier != version:  # the archive's own version is the row above ("this version")
            assert f"<td><code>{entry['archive']}</code></td>" in home and entry["sha256"] in home
    assert "from the place you downloaded this archive" in home
    data = jsonld_of(home)
    assert data["disambiguatingDescription"] == RELEASE_NO_ADDRESS
    assert all(not d["contentUrl"].startswith("../releases/") for d in data["distribution"])


def test_the_install_line_of_the_release_readme_can_be_pasted(release_folder: Path) -> None:
    from cnkz.release import dataset_readme_v2, wheel_name

    version = json.loads((release_folder / "datapackage.json").read_text(encoding="utf-8"))["version"]
    readme = (release_folder / "README.md").read_text(encoding="utf-8")
    wheel = wheel_name(version)
    assert f"Download `{wheel}` from the same place as this archive" in readme
    assert f"\n\n    python -m pip install ../{wheel}\n    cnkz validate .\n" in readme
    assert "published beside" not in readme and "releases/)" not in readme
    # Every command block is commands only: no line of it carries words for the reader.
    blocks = re.findall(r"\n\n((?:    .+\n)+)", readme)
    assert blocks and all(not re.search(r"\((?!\))|published|beside", line) for block in blocks for line in block.splitlines())
    with_address = dataset_readme_v2(version, "2026-01-01", {t.name: 1 for t in TABLES}, wheel, "https://data.example.org/cnkz/")
    assert f"\n\n    python -m pip install https://data.example.org/cnkz/releases/{wheel}\n    cnkz validate .\n" in with_address


def test_document_pages_link_the_other_pages_and_drop_links_to_files_no_release_holds() -> None:
    from cnkz.site import markdown_page

    text = "See the [codebook](docs/codebook.md#events), [events](resources/events.csv), [the rules](src/cnkz/validate.py) and [CC](https://example.org/)."
    page = markdown_page("x", text, "X", "1.0.0")
    assert ('See the <a href="codebook.html#events">codebook</a>, <a href="../resources/events.csv">events</a>, the rules '
            'and <a href="https://example.org/">CC</a>.') in page


def test_document_headings_carry_the_ids_the_documents_link_to() -> None:
    from cnkz.site import with_heading_ids

    assert with_heading_ids("<h1>Codebook</h1>\n<h2>events</h2>\n<h3><code>country</code> &amp; more!</h3>\n<h2>events</h2>") == (
        '<h1 id="codebook">Codebook</h1>\n<h2 id="events">events</h2>\n<h3 id="country--more"><code>country</code> &amp; more!</h3>\n'
        '<h2 id="events-1">events</h2>')


def test_each_table_shows_real_columns_at_first_with_its_headline_and_quote() -> None:
    """The columns a table page shows before "show all columns" are declared once, in site.SHOWN."""
    from cnkz.site import HEADLINES, SHOWN, TEXT_COLUMNS

    assert list(SHOWN) == [t.name for t in TABLES]
    for table in TABLES:
        shown = SHOWN[table.name]
        assert len(set(shown)) == len(shown) and set(shown) <= set(table.columns), table.name
        assert set(shown) & set(table.primary_key), table.name
        headline = next((h for h in HEADLINES if h in table.columns), None)
        for column in (headline, "quote"):
            if column in table.columns:
                assert column in shown, (table.name, column)
        assert len(shown) < len(table.columns) or table.name == "places"
    strings = {f.name for t in TABLES for f in t.fields if f.type == "string"}
    assert set(TEXT_COLUMNS) <= strings


def test_table_pages_mark_the_columns_shown_at_first_and_the_running_text(files: dict[str, bytes]) -> None:
    from cnkz.site import SHOWN

    page = text(files, "tables/pledges.html")
    heads = re.findall(r'<th(?: class="([^"]*)")? data-type="[a-z]+" title="[^"]*"><button type="button">([a-z_]+)</button></th>', page)
    assert [name for _, name in heads] == TABLES_BY_NAME["pledges"].columns
    assert [name for css, name in heads if "extra" not in css.split()] == list(SHOWN["pledges"])
    classes = dict((name, css.split()) for css, name in heads)
    assert classes["statement"] == ["prose", "headline"] and classes["quote"] == ["prose", "quote"]
    assert classes["pledge_id"] == ["id"] and classes["status_as_of"] == ["date", "extra"] and classes["deadline"] == ["num"]
    assert '<input type="checkbox" id="all-columns"> show all 19 columns</label>' in page
    # An identifier may break only after its dot.
    assert '<td class="id"><span>2010-jia-qinglin-astana.</span><wbr><span>political-security-ties</span></td>' in page


def test_home_page_dates_each_source_text_by_its_printed_date_or_says_it_prints_none(files: dict[str, bytes]) -> None:
    page = text(files, "index.html")
    for source in table_rows(ROOT, "sources"):
        item = re.search(rf'<li><a href="sources/{re.escape(source["source_id"])}\.html">[^<]*</a> \((.*?)\)</li>', page)
        assert item, source["source_id"]
        if source["published_on"]:
            assert item.group(1) == f'<span class="date">{source["published_on"]}</span>'
        else:
            assert item.group(1) == f'no date printed; reference date <span class="date">{source["reference_date"]}</span>'
    assert any(not s["published_on"] for s in table_rows(ROOT, "sources"))  # the case the issue found is still covered


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
        assert (f'<td>{version}</td><td><a href="../releases/{entry["archive"]}">{entry["archive"]}</a></td>'
                f'<td class="size">{size / 1024:.1f} KiB</td>') in page
        assert f'<td class="sha"><code>{entry["sha256"]}</code></td><td class="date">{entry["date"]}</td>' in page
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


def test_screenshots_show_home_tables_and_provenance_in_a_window_and_on_a_phone() -> None:
    """scripts/screenshots.py: each page at 1400 × 900 and at 390 × 844."""
    names = set()
    for name in ("home", "pledges", "events", "provenance"):
        for suffix, size in (("", (1400, 900)), ("-phone", (390, 844))):
            data = (ROOT / "docs" / "screenshots" / f"{name}{suffix}.png").read_bytes()
            assert data[:8] == b"\x89PNG\r\n\x1a\n"
            assert struct.unpack(">II", data[16:24]) == size, (name, suffix)
            names.add(f"{name}{suffix}.png")
    assert {p.name for p in (ROOT / "docs" / "screenshots").iterdir()} == names


# ---------------------------------------------------------------- the output folder (issue 17, item 3)

MARKER = ".cnkz-site"
NOT_OURS = ("the folder is not empty and `cnkz site` did not write it (no .cnkz-site in it); nothing was changed. "
            "Choose a new or empty folder for --out, or empty this one yourself")


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` by its relative path, with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_site_refuses_to_write_over_a_folder_it_did_not_write(repo: Path, capsys: pytest.CaptureFixture[str],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """`--out docs` deleted tracked files and `--out .` the whole clone, .git included, then crashed."""
    (repo / ".git").mkdir()
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    before = tree(repo)
    monkeypatch.chdir(repo)
    for out, folder in (("docs", repo / "docs"), (".", repo), (str(repo.parent), repo.parent)):
        assert main(["site", "--root", str(repo), "--out", out]) == 2
        assert capsys.readouterr().err == f"cnkz: error: {folder}: {NOT_OURS}\n"
    assert tree(repo) == before
    assert sorted(p.name for p in repo.parent.iterdir()) == ["repo"]  # nothing staged or set aside beside it either


def test_site_replaces_a_site_it_wrote_only_while_it_holds_nothing_else(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = repo / "site"
    assert main(["site", "--root", str(repo)]) == 0
    files = site_files(repo)
    assert (site / MARKER).read_text(encoding="utf-8") == (
        "cnkz site: the files below are this site's; the next `cnkz site` replaces them and removes nothing else\n"
        + "".join(f"{name}\n" for name in files))
    (site / "notes.txt").write_text("mine", encoding="utf-8")
    (site / "tables" / "draft.html").write_text("mine too", encoding="utf-8")
    capsys.readouterr()
    assert main(["site", "--root", str(repo)]) == 2
    assert capsys.readouterr().err == (f"cnkz: error: {site}: the folder holds notes.txt, which `cnkz site` did not write; nothing was changed. "
                                       "Move it out of the folder, or choose another folder for --out\n")
    (site / "notes.txt").unlink()
    assert main(["site", "--root", str(repo)]) == 2
    assert "the folder holds tables/draft.html, which `cnkz site` did not write" in capsys.readouterr().err
    (site / "tables" / "draft.html").unlink()
    (site / "index.html").unlink()  # a file of the site that is gone is no reason to refuse
    (site / "figures" / "timeline.svg").unlink()
    (site / "figures" / "timeline.svg").symlink_to(repo / "README.md")  # a link is something cnkz never writes
    assert main(["site", "--root", str(repo)]) == 2
    assert "the folder holds figures/timeline.svg, which `cnkz site` did not write" in capsys.readouterr().err
    assert (repo / "README.md").is_file()
    (site / "figures" / "timeline.svg").unlink()
    assert main(["site", "--root", str(repo)]) == 0
    assert tree(site) == {**files, MARKER: (site / MARKER).read_bytes()}
    # A marker that is not the one cnkz writes makes the folder someone else's.
    (site / MARKER).write_text("a file of my own that happens to have this name\nindex.html\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["site", "--root", str(repo)]) == 2
    assert capsys.readouterr().err == f"cnkz: error: {site}: {NOT_OURS}\n"


def test_site_writes_into_a_new_or_empty_folder_and_leaves_the_folders_beside_it_alone(repo: Path, tmp_path: Path,
                                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    from cnkz.site import write_site

    mine = repo / ".site-previous" / "keep.txt"  # the name the switch used to clear without looking
    mine.parent.mkdir()
    mine.write_text("mine", encoding="utf-8")
    empty = tmp_path / "empty"
    empty.mkdir()
    for out in (empty, tmp_path / "new" / "site"):
        assert main(["site", "--root", str(repo), "--out", str(out)]) == 0
        assert (out / "index.html").is_file() and (out / MARKER).is_file()
    assert main(["site", "--root", str(repo)]) == 0
    assert main(["site", "--root", str(repo)]) == 0
    assert mine.read_text(encoding="utf-8") == "mine"
    assert sorted(p.name for p in repo.iterdir() if p.name.startswith(".site")) == [".site-previous"]
    a_file = tmp_path / "a-file"
    a_file.write_text("mine", encoding="utf-8")
    link = tmp_path / "link"
    link.symlink_to(repo / "site")
    capsys.readouterr()
    assert main(["site", "--root", str(repo), "--out", str(a_file)]) == 2
    assert capsys.readouterr().err == (f"cnkz: error: {a_file}: not a folder (a file or a link); nothing was changed. "
                                       "Choose a new or empty folder for --out\n")
    with pytest.raises(CnkzError) as caught:
        write_site(repo, link)
    assert str(caught.value) == f"{link}: not a folder (a file or a link); nothing was changed. Choose a new or empty folder for --out"
    assert a_file.read_text(encoding="utf-8") == "mine" and link.is_symlink()


def test_site_names_stay_inside_the_output_folder(tmp_path: Path) -> None:
    from cnkz.site import _write_tree

    for name in ("../escaped.html", "/tmp/escaped.html", "a//b.html", "sources/../../escaped.html"):
        with pytest.raises(CnkzError) as caught:
            _write_tree({"index.html": b"x", name: b"x"}, tmp_path / "site")
        assert str(caught.value) == f"{tmp_path / 'site'}: {name!r} would be written outside the site folder; nothing was written"
    assert not (tmp_path / "escaped.html").exists() and not Path("/tmp/escaped.html").exists()


# ---------------------------------------------------------------- the package is validated first (items 4 and 18)


def leak_etc_passwd(repo: Path) -> None:
    """A source text no row quotes, whose path is /etc/passwd: the site used to show that file as its page."""
    from .conftest import write_rows

    path = repo / "resources" / "sources.csv"
    rows = read_rows(path)
    header = rows[0]
    rows.append([{"source_id": "leak", "path": "/etc/passwd"}.get(column, value) for column, value in zip(header, rows[1])])
    write_rows(path, rows)


def pwned_source_id(repo: Path) -> None:
    """A source_id that climbs out of the site: its page used to be written outside --out."""
    from .conftest import set_cell

    set_cell(repo, "sources", 0, "source_id", "../../../../outside/PWNED")


@pytest.mark.parametrize(("attack", "first"), [
    (pwned_source_id, "[csv_parquet] sources row 2 (../../../../outside/PWNED) column source_id: expected ../../../../outside/PWNED "
                      "(the CSV value), found 2010-jia-qinglin-astana (in Parquet)"),
    (leak_etc_passwd, "[csv_parquet] sources: expected 6 rows in Parquet as in CSV, found 5"),
])
def test_site_refuses_a_package_that_is_not_valid_and_writes_nothing(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                     attack: Any, first: str) -> None:
    from .conftest import rehash

    attack(repo)
    rehash(repo)  # the descriptor agrees with the files: only the rows are wrong
    before = tree(tmp_path)
    out = tmp_path / "a" / "b" / "site"  # ../../../../ from its sources/ folder is tmp_path
    assert main(["site", "--root", str(repo), "--out", str(out)]) == 2
    assert re.fullmatch(rf"cnkz: error: {re.escape(str(repo))}: the package is not valid, so no site was made: [0-9]+ problem\(s\), the first "
                        + re.escape(first) + r"; run `cnkz validate` to see them all\n", capsys.readouterr().err)
    assert tree(tmp_path) == before  # no page outside --out, no copy of /etc/passwd, no site at all
    assert not (tmp_path / "a").exists()


@pytest.mark.parametrize(("table", "column", "value", "rehashed", "first"), [
    ("events", "event_type", "bogus", False, "[bytes_mismatch] events property bytes: expected {bytes} (datapackage.json), found {size} (the file)"),
    ("events", "event_type", "bogus", True, "[csv_parquet] events row 2 ({key}) column event_type: expected bogus (the CSV value), found {old} (in Parquet)"),
    ("figures", "char_start", "x", True,
     "[csv_parquet] figures row 2 ({key}) column char_start: expected an empty cell (the CSV value), found {old} (in Parquet)"),
])
def test_site_of_an_invalid_table_is_one_line_not_a_traceback(repo: Path, capsys: pytest.CaptureFixture[str],
                                                              table: str, column: str, value: str, rehashed: bool, first: str) -> None:
    from .conftest import rehash, set_cell

    descriptor = json.loads((repo / "datapackage.json").read_text(encoding="utf-8"))
    declared = next(r["bytes"] for r in descriptor["resources"] if r["name"] == table)
    old = table_rows(repo, table)[0][column]
    key = set_cell(repo, table, 0, column, value)
    if rehashed:
        rehash(repo)
    size = (repo / "resources" / f"{table}.csv").stat().st_size
    assert main(["site", "--root", str(repo)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert re.fullmatch(rf"cnkz: error: {re.escape(str(repo))}: the package is not valid, so no site was made: [0-9]+ problem\(s\), the first "
                        + re.escape(first.format(bytes=declared, size=size, key=key, old=old))
                        + r"; run `cnkz validate` to see them all\n", err), err
    assert not (repo / "site").exists()


def test_site_names_its_files_only_with_package_paths_even_unvalidated(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Defence in depth: with validation skipped, a hostile source_id or source path is still refused, not followed."""
    import cnkz.site

    from .conftest import rehash, set_cell

    monkeypatch.setattr(cnkz.site, "check_package", lambda root: None)
    set_cell(repo, "sources", 0, "source_id", "../../../../outside/PWNED")
    rehash(repo)
    with pytest.raises(CnkzError) as caught:
        site_files(repo)
    assert str(caught.value) == (f"{repo / 'resources' / 'sources.csv'}, field source_id: '../../../../outside/PWNED' cannot name a page "
                                 "of the site (it is not a plain file name); run `cnkz validate`")
    set_cell(repo, "sources", 0, "source_id", table_rows(ROOT, "sources")[0]["source_id"])
    set_cell(repo, "sources", 0, "path", "/etc/passwd")
    with pytest.raises(CnkzError) as caught:
        site_files(repo)
    assert str(caught.value) == (f"{repo / 'resources' / 'sources.csv'}, field path: '/etc/passwd' is not a file of the package; "
                                 "run `cnkz validate`")


# ---------------------------------------------------------------- markup in documents and metadata (items 5 and 19)

# What a contribution could put into CHANGELOG.md: raw HTML that runs script, as a block and inline.
HOSTILE_MARKDOWN = ("<img src=x onerror=\"window.pwned=1;document.title='pwned'\">\n\n"
                    "- Fixed <img src=y onerror=\"window.pwned=2\"> and <script>window.pwned=3</script> in a list.\n\n"
                    "<!-- a comment stays out of the page -->\n\n"
                    "[a link](javascript:window.pwned=4) and <b onmouseover=\"window.pwned=5\">bold</b>.\n")
# What a resource title or a release date could hold: the JSON-LD script would swallow the rest of the home page.
HOSTILE_TEXT = "Events <!--<script> & </script> 'x' \\<"


def test_document_pages_show_raw_html_as_text_and_run_nothing() -> None:
    from cnkz.site import markdown_page

    page = markdown_page("changelog", "# Changes\n\n" + HOSTILE_MARKDOWN, "Changelog", "1.0.0")
    body = page[page.index('<div class="doc '):page.index("</main>")]
    assert body == (
        '<div class="doc changelog"><h1 id="changes">Changes</h1>\n'
        "<p>&lt;img src=x onerror=&quot;window.pwned=1;document.title=&#x27;pwned&#x27;&quot;&gt;</p>\n"
        "<ul>\n<li>Fixed &lt;img src=y onerror=&quot;window.pwned=2&quot;&gt; and &lt;script&gt;window.pwned=3&lt;/script&gt; in a list.</li>\n</ul>\n"
        '<p><a href="#harmful-link">a link</a> and &lt;b onmouseover=&quot;window.pwned=5&quot;&gt;bold&lt;/b&gt;.</p>\n</div>\n')
    # The documents of this repository keep their pages: an identifier written <source_id>.<key> is shown, not taken for a tag.
    codebook = markdown_page("codebook", (ROOT / "docs" / "codebook.md").read_text(encoding="utf-8"), "Codebook", "1.0.0")
    assert "Identifier: &lt;source_id&gt;.&lt;key&gt;." in codebook and "<key>" not in codebook
    curation = markdown_page("curation", (ROOT / "CURATION.md").read_text(encoding="utf-8"), "Curation", "1.0.0")
    assert "BEGIN GENERATED" not in curation and "&lt;!--" not in curation


def test_json_for_a_script_element_is_the_same_json_without_markup_characters() -> None:
    from cnkz.site import script_json

    for value in (HOSTILE_TEXT, "a\\</script>", "\u2028 \u00e9 <>&", {"k<": ["</", "<!--"]}):
        embedded = script_json({"v": value})
        assert not set("<>&") & set(embedded)
        assert json.loads(embedded) == {"v": value}
    assert script_json({"a": "<&>"}) == '{\n "a": "\\u003c\\u0026\\u003e"\n}'


def test_jsonld_cannot_end_or_comment_out_its_script(repo: Path) -> None:
    path = repo / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    descriptor["resources"][0]["title"] = HOSTILE_TEXT
    path.write_text(json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    releases = {"1.0.0": {"archive": "china-kazakhstan-engagements-1.0.0.zip", "sha256": "0" * 64, "date": HOSTILE_TEXT}}
    page = text(site_files(repo, releases), "index.html")
    match = re.search(r'<script type="application/ld\+json">\n(.*?)\n</script>', page, re.S)
    assert match and not set("<>&") & set(match.group(1))
    data = jsonld_of(page)
    assert data["distribution"][0]["description"] == HOSTILE_TEXT
    assert data["distribution"][-1]["uploadDate"] == HOSTILE_TEXT
    assert f'<td class="date">{html.escape(HOSTILE_TEXT)}</td></tr>' in page  # the downloads table shows it as text


@pytest.mark.parametrize(("date", "shown"), [
    ("<!--<script>", "'<!--<script>'"),
    ("2026-02-30", "'2026-02-30'"),
    ("20261123", "'20261123'"),
    ("2026-11-23T00:00:00", "'2026-11-23T00:00:00'"),
    (" 2026-11-23", "' 2026-11-23'"),
    (20261123, "20261123"),
    (None, "None"),
    ("x" * 60, "'" + "x" * 38 + "…"),
])
def test_release_index_dates_are_days_written_yyyy_mm_dd(repo: Path, date: Any, shown: str) -> None:
    from cnkz.errors import ReleaseError
    from cnkz.release import read_index

    assert read_index(ROOT) == json.loads((ROOT / "releases" / "index.json").read_text(encoding="utf-8"))  # the published index passes
    path = repo / "releases" / "index.json"
    index = json.loads(path.read_text(encoding="utf-8"))
    index["1.0.0"]["date"] = date
    path.write_text(json.dumps(index), encoding="utf-8")
    message = (f"releases/index.json, record 1.0.0: the entry for '1.0.0' has date {shown}, not a date YYYY-MM-DD; "
               "restore the file from version control")
    with pytest.raises(ReleaseError) as caught:
        read_index(repo)
    assert str(caught.value) == message
    del index["1.0.0"]["date"]
    path.write_text(json.dumps(index), encoding="utf-8")
    with pytest.raises(ReleaseError, match=r"^releases/index\.json, record 1\.0\.0: the entry for '1\.0\.0' has date None, not a date YYYY-MM-DD;"):
        read_index(repo)
