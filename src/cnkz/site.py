"""The static site: home, a page per table, a provenance page per source text, and the documents.

Generated from the table definitions and the published package, with no network at build or
view time: every page works from `file://`, the only script is `site_assets/site.js`. The same
inputs give the same bytes, so a release archive that carries the site stays reproducible.
"""

from __future__ import annotations

import html
import itertools
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from .descriptor import DESCRIPTION, LICENSE, PACKAGE_NAME, TITLE
from .docs import meaning
from .errors import CnkzError
from .metadata import address, apa, base_url, bibtex, citation, dataset_jsonld, read_table, release_index
from .tables import TABLES, Field, Table

SITE = "site"
SOURCE_TABLE = "sources"
EVIDENCE = ("source_id", "quote", "char_start", "char_end")
# The column that says in words what a row is, where a table has one, shown next to its quote.
HEADLINES = ("summary", "statement", "description", "name")
FIGURES = ("timeline", "targets")
ASSETS = ("site.css", "site.js")
# Markdown documents shown as pages, and where links between them point in the site.
DOCUMENTS = (("codebook", "docs/codebook.md", "Codebook"), ("curation", "CURATION.md", "Curation guide"), ("changelog", "CHANGELOG.md", "Changelog"))
PAGE_OF = {"docs/codebook.md": "codebook.html", "codebook.md": "codebook.html", "CURATION.md": "curation.html", "CHANGELOG.md": "changelog.html"}
e = html.escape


@dataclass(frozen=True)
class Quote:
    table: str
    key: str
    start: int
    end: int
    text: str
    label: str = ""

    @property
    def ref(self) -> str:
        return f"{self.table}:{self.key}"


def row_key(table: Table, row: dict[str, str]) -> str:
    return "--".join(row[k] for k in table.primary_key)


def has_evidence(table: Table) -> bool:
    return set(EVIDENCE) <= set(table.columns)


def page(title: str, body: str, depth: int, version: str, head: str = "") -> str:
    up = "../" * depth
    nav = [f'<a href="{up}index.html">Home</a>']
    nav += [f'<a href="{up}tables/{t.name}.html">{e(t.name)}</a>' for t in TABLES]
    nav += [f'<a href="{up}{name}.html">{e(label)}</a>' for name, _, label in DOCUMENTS]
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)} · {e(TITLE)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{up}assets/site.css">
{head}</head>
<body>
<header><p class="brand"><a href="{up}index.html">{e(TITLE)}</a> <span class="version">version {e(version)}</span></p>
<nav>{" ".join(nav)}</nav></header>
<main>
{body}
</main>
<footer>Data: <a href="{e(LICENSE["path"])}">{e(LICENSE["name"])}</a>.
Source texts are their outlets' own, included so that every quote can be checked.</footer>
<script src="{up}assets/site.js"></script>
</body>
</html>
"""


def human_size(size: int) -> str:
    return f"{size / 1024:.1f} KiB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MiB"


def _downloads(root: Path, releases: dict[str, dict[str, str]], version: str, base: str | None) -> str:
    rows = []
    for number, entry in releases.items():
        files = [(entry["archive"], entry["sha256"])]
        if entry.get("wheel"):
            files.append((entry["wheel"], entry["wheel_sha256"]))
        for name, digest in files:
            path = root / "releases" / name
            size = human_size(path.stat().st_size) if path.exists() else "not in this copy"
            rows.append(f'<tr><td>{e(number)}</td><td><a href="{e(address(base, "releases/" + name, SITE))}">{e(name)}</a></td>'
                        f"<td>{size}</td><td><code>{e(digest)}</code></td><td>{e(entry['date'])}</td></tr>")
    if version not in releases:
        rows.append(f"<tr><td>{e(version)}</td><td colspan=\"4\">this version: its archive and checksum are published in "
                    "<code>releases/index.json</code> when it is released</td></tr>")
    note = ("" if base else "<p class=\"note\">No public address is set for this copy (<code>[tool.cnkz] base-url</code> in "
            "<code>pyproject.toml</code>), so the links are relative to the repository.</p>")
    return ('<table class="plain"><thead><tr><th>version</th><th>file</th><th>size</th><th>sha256</th><th>date</th></tr></thead><tbody>'
            + "".join(rows) + "</tbody></table>" + note)


LOADING = """<h3>Python (pandas)</h3>
<pre><code>import pandas as pd

events = pd.read_parquet("resources/events.parquet")
# or, with the cnkz package (types and vocabularies from the table definitions):
import cnkz
tables = cnkz.load("datapackage.json")</code></pre>
<h3>R</h3>
<pre><code>source("scripts/load.R")   # readr + jsonlite: every CSV with the descriptor's types
tables &lt;- read_cnkz("datapackage.json")

library(frictionless)       # or the rOpenSci frictionless package
events &lt;- read_resource(read_package("datapackage.json"), "events")</code></pre>
<h3>SQL (DuckDB)</h3>
<pre><code>SELECT event_type, count(*) FROM 'resources/events.parquet' GROUP BY event_type;</code></pre>"""


def home(root: Path, tables: dict[str, list[dict[str, str]]], releases: dict[str, dict[str, str]], version: str) -> str:
    base = base_url(root)
    cff = citation(root)
    jsonld = json.dumps(dataset_jsonld(root, SITE, releases), indent=1, ensure_ascii=False).replace("</", "<\\/")
    counts = "".join(f'<tr><td><a href="tables/{t.name}.html">{e(t.name)}</a></td><td class="num">{len(tables[t.name])}</td>'
                     f"<td>{e(t.description)}</td></tr>" for t in TABLES)
    sources = "".join(f'<li><a href="sources/{e(s["source_id"])}.html">{e(s["title"])}</a> ({e(s.get("published_on") or s["source_id"])})</li>'
                      for s in tables[SOURCE_TABLE])
    pictures = "".join(f'<figure><img src="figures/{name}.svg" alt="{name} of the engagements"></figure>'
                       for name in FIGURES if (root / "docs" / "figures" / f"{name}.svg").exists())
    body = f"""<h1>{e(TITLE)}</h1>
<p class="lead">{e(DESCRIPTION)}</p>
<p>Version <strong>{e(version)}</strong>, released {e(cff["date-released"])}. Licence: <a href="{e(LICENSE["path"])}">{e(LICENSE["name"])}</a>.
Read how rows are made in the <a href="curation.html">curation guide</a>, every column in the <a href="codebook.html">codebook</a>.</p>
<h2>Tables</h2>
<table class="plain"><thead><tr><th>table</th><th>rows</th><th>one row per</th></tr></thead><tbody>{counts}</tbody></table>
<h2>Source texts</h2>
<p>Every row quotes the words of its source text that support it. Open a text to see each quote highlighted and the rows it supports.</p>
<ul>{sources}</ul>
<h2>Pictures</h2>
{pictures}
<h2>Downloads</h2>
{_downloads(root, releases, version, base)}
<p>The package files of this version: <a href="../datapackage.json">datapackage.json</a> and <code>resources/</code> (CSV and Parquet).</p>
<h2>How to cite</h2>
<p>{e(apa(cff, base))}</p>
<pre><code>{e(bibtex(cff, base))}</code></pre>
<h2>How to load</h2>
{LOADING}
"""
    head = f'<script type="application/ld+json">\n{jsonld}\n</script>\n'
    return page("Home", body, 0, version, head)


def _cell(table: Table, f: Field, row: dict[str, str], key: str) -> str:
    value = row[f.name]
    if value == "":
        return "<td></td>"
    if f.vocabulary is not None:
        code = dict(f.vocabulary.values)
        return f'<td><span class="code" title="{e(meaning(f.vocabulary, value, code.get(value, "")))}">{e(value)}</span></td>'
    if f.name == "quote" and has_evidence(table):
        return f'<td class="quote"><a href="../sources/{e(row["source_id"])}.html#q-{e(table.name)}-{e(key)}">{e(value)}</a></td>'
    for fk in table.foreign_keys:
        if fk.fields == (f.name,):
            if fk.table == SOURCE_TABLE:
                return f'<td><a href="../sources/{e(value)}.html">{e(value)}</a></td>'
            return f'<td><a href="{e(fk.table)}.html#row-{e(value)}">{e(value)}</a></td>'
    if table.name == SOURCE_TABLE and f.name == "source_id":
        return f'<td><a href="../sources/{e(value)}.html">{e(value)}</a></td>'
    css = ' class="num"' if f.type in ("integer", "number") else ""
    return f"<td{css}>{e(value)}</td>"


def table_page(table: Table, rows: list[dict[str, str]], version: str) -> str:
    head = "".join(f'<th data-type="{"number" if f.type in ("integer", "number") else "text"}" title="{e(f.description)}">'
                   f'<button type="button">{e(f.name)}</button></th>' for f in table.fields)
    body_rows = []
    for row in rows:
        key = row_key(table, row)
        body_rows.append(f'<tr id="row-{e(key)}">' + "".join(_cell(table, f, row, key) for f in table.fields) + "</tr>")
    columns = "".join(f"<tr><td><code>{e(f.name)}</code></td><td>{e(f.type)}</td><td>{e(f.description)}</td></tr>" for f in table.fields)
    vocabularies = []
    for f in table.fields:
        if f.vocabulary is not None:
            items = "".join(f"<tr><td><code>{e(c)}</code></td><td>{e(meaning(f.vocabulary, c, text))}</td></tr>" for c, text in f.vocabulary.values)
            vocabularies.append(f'<h3 id="vocabulary-{e(f.name)}"><code>{e(f.name)}</code> (vocabulary <code>{e(f.vocabulary.name)}</code>)</h3>'
                                f'<table class="plain"><thead><tr><th>value</th><th>meaning</th></tr></thead><tbody>{items}</tbody></table>')
    provenance = ("<p>Each <code>quote</code> links to its place in the source text.</p>" if has_evidence(table) else "")
    body = f"""<h1>{e(table.title)} <code>{e(table.name)}</code></h1>
<p class="lead">{e(table.description)}</p>
<p>{len(rows)} rows. Primary key <code>{e(", ".join(table.primary_key))}</code>. Files:
<a href="../../resources/{e(table.name)}.csv">{e(table.name)}.csv</a>, <a href="../../resources/{e(table.name)}.parquet">{e(table.name)}.parquet</a>.
Click a column name to sort; hover over a coded value for its meaning. {provenance}</p>
<p><label>Filter rows <input type="search" id="filter" placeholder="words that every shown row contains"></label>
<span id="count" aria-live="polite">{len(rows)} of {len(rows)} rows</span></p>
<div class="scroll"><table class="data" id="rows"><thead><tr>{head}</tr></thead>
<tbody>
{chr(10).join(body_rows)}
</tbody></table></div>
<h2>Columns</h2>
<table class="plain"><thead><tr><th>column</th><th>type</th><th>description</th></tr></thead><tbody>{columns}</tbody></table>
<h2>Vocabularies</h2>
{"".join(vocabularies) or "<p>This table has no coded columns.</p>"}
"""
    return page(table.title, body, 1, version)


def quotes_of(source_id: str, tables: dict[str, list[dict[str, str]]]) -> list[Quote]:
    out = []
    for table in TABLES:
        if not has_evidence(table):
            continue
        headline = next((h for h in HEADLINES if h in table.columns), None)
        for row in tables[table.name]:
            if row["source_id"] == source_id:
                label = row[headline] if headline else ""
                out.append(Quote(table.name, row_key(table, row), int(row["char_start"]), int(row["char_end"]), row["quote"], label))
    return sorted(out, key=lambda q: (q.start, -q.end, q.table, q.key))


def highlighted(text: str, quotes: list[Quote]) -> str:
    """The text with every quoted span marked; overlapping quotes split it into segments, each naming all its quotes."""
    for q in quotes:
        if text[q.start:q.end] != q.text:
            raise CnkzError(f"quote of {q.table} row {q.key} is not at {q.start}:{q.end} of its source text; run `cnkz validate`")
    cuts = sorted({0, len(text), *(q.start for q in quotes), *(q.end for q in quotes)})
    starts: dict[int, list[Quote]] = {}
    for q in quotes:
        starts.setdefault(q.start, []).append(q)
    out = []
    for a, b in itertools.pairwise(cuts):
        out += [f'<span class="anchor" id="q-{e(q.table)}-{e(q.key)}"></span>' for q in starts.get(a, [])]
        covering = [q for q in quotes if q.start <= a and b <= q.end]
        if not covering:
            out.append(e(text[a:b]))
            continue
        inner = min(covering, key=lambda q: (q.end - q.start, q.table, q.key))
        refs = " ".join(q.ref for q in covering)
        title = "; ".join(f"{q.table} {q.key}" for q in covering)
        depth = min(len(covering), 3)
        out.append(f'<a class="q d{depth}" href="#list-{e(inner.table)}-{e(inner.key)}" data-rows="{e(refs)}" title="{e(title)}">{e(text[a:b])}</a>')
    return "".join(out)


def source_page(root: Path, source: dict[str, str], tables: dict[str, list[dict[str, str]]], version: str) -> str:
    text = (root / source["path"]).read_bytes().decode("utf-8")
    quotes = quotes_of(source["source_id"], tables)
    listed = "".join(
        f'<li id="list-{e(q.table)}-{e(q.key)}"><a href="#q-{e(q.table)}-{e(q.key)}" class="jump">{q.start}–{q.end}</a> '
        f'<a href="../tables/{e(q.table)}.html#row-{e(q.key)}" class="row">{e(q.table)} {e(q.key)}</a> '
        f'<span class="label">{e(q.label)}</span> “{e(q.text)}”</li>'
        for q in quotes)
    facts = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in source.items() if k != "title" and v)
    body = f"""<h1>{e(source["title"])}</h1>
<details><summary>About this text (its row in <a href="../tables/{SOURCE_TABLE}.html#row-{e(source["source_id"])}">{SOURCE_TABLE}</a>)</summary>
<table class="plain facts"><tbody>{facts}</tbody></table></details>
<p>The text exactly as collected (<a href="../../{e(source["path"])}">{e(source["path"])}</a>). Each highlight is the quote of one or more
rows; a darker highlight is quoted by more rows. Click a highlight for its rows.</p>
<p id="current" aria-live="polite"></p>
<aside id="panel" hidden><p><strong>Rows quoting this passage</strong> <button type="button" id="close">close</button></p><ul></ul></aside>
<div class="text" id="text">{highlighted(text, quotes)}</div>
<h2>Quotes in this text ({len(quotes)})</h2>
<ol class="quotes">{listed}</ol>
"""
    return page(source["title"], body, 1, version)


_ANCHOR = re.compile(r'<a href="([^"#]*)(#[^"]*)?"([^>]*)>(.*?)</a>', re.S)
# Files of the package a document may link to; they are beside the site folder in a clone and in a release.
PACKAGE_FILES = ("datapackage.json", "resources/", "seeds/", "scripts/load.R")


def markdown_page(name: str, text: str, label: str, version: str) -> str:
    """A Markdown document as a page; links to the other documents point at their pages, links to files no package holds become text."""
    from marko.ext.gfm import gfm

    body = str(gfm.convert(text))

    def link(match: re.Match[str]) -> str:
        target, fragment, rest, words = match.group(1), match.group(2) or "", match.group(3), match.group(4)
        if target == "" or re.match(r"^[a-z]+:", target):
            return match.group(0)
        if target in PAGE_OF:
            return f'<a href="{PAGE_OF[target]}{fragment}"{rest}>{words}</a>'
        if target.startswith(PACKAGE_FILES):
            return f'<a href="../{target}{fragment}"{rest}>{words}</a>'
        return words  # a repository file (code, review notes) that a release does not carry

    return page(label, f'<div class="doc" id="{e(name)}">{_ANCHOR.sub(link, body)}</div>', 0, version)


def site_files(root: Path, releases: dict[str, dict[str, str]] | None = None) -> dict[str, bytes]:
    """Every file of the site by its path inside the site folder."""
    from .descriptor import project_version

    root = Path(root)
    version = json.loads((root / "datapackage.json").read_text(encoding="utf-8")).get("version") or project_version(root)
    releases = release_index(root) if releases is None else releases
    tables = {t.name: read_table(root, t.name) for t in TABLES}
    files: dict[str, str | bytes] = {"index.html": home(root, tables, releases, version)}
    for table in TABLES:
        files[f"tables/{table.name}.html"] = table_page(table, tables[table.name], version)
    for source in tables[SOURCE_TABLE]:
        files[f"sources/{source['source_id']}.html"] = source_page(root, source, tables, version)
    for name, path, label in DOCUMENTS:
        if (root / path).exists():
            files[f"{name}.html"] = markdown_page(name, (root / path).read_text(encoding="utf-8"), label, version)
    for name in FIGURES:
        figure = root / "docs" / "figures" / f"{name}.svg"
        if figure.exists():
            files[f"figures/{name}.svg"] = figure.read_bytes()
    assets = resources.files("cnkz") / "site_assets"
    for asset in ASSETS:
        files[f"assets/{asset}"] = (assets / asset).read_bytes()
    return {k: v.encode("utf-8") if isinstance(v, str) else v for k, v in sorted(files.items())}


def _write_tree(files: dict[str, bytes], target: Path) -> None:
    for name, data in files.items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def write_site(root: Path, out: Path | None = None) -> list[Path]:
    """Write the site to out (default site/ in root): built beside it, then switched in whole."""
    out = Path(out or Path(root) / SITE)
    files = site_files(root)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    _write_tree(files, staging)
    os.chmod(staging, 0o755)  # mkdtemp makes it private; a site is for reading
    old = out.parent / f".{out.name}-previous"
    if old.exists():
        shutil.rmtree(old)
    if out.exists():
        out.rename(old)
    staging.rename(out)
    if old.exists():
        shutil.rmtree(old)
    return [out / name for name in files]


def external_references(pages: Iterable[tuple[str, str]]) -> list[str]:
    """Anything a page would load from elsewhere (script, style, image, frame, font): none is allowed."""
    found = []
    loads = re.compile(r'<(?:script|img|iframe|source|audio|video|embed)\b[^>]*\bsrc="([^"]+)"|<link\b[^>]*\bhref="([^"]+)"|url\(([^)]+)\)|@import')
    for name, text in pages:
        for match in loads.finditer(text):
            target = next((g for g in match.groups() if g), match.group(0))
            if re.match(r"^(?:[a-z][a-z0-9+.-]*:)?//", target.strip("'\"")) or target == "@import":
                found.append(f"{name}: {target}")
    return found


def summary(files: dict[str, Any]) -> str:
    return f"{len(files)} files, {sum(len(v) for v in files.values())} bytes; open {SITE}/index.html ({PACKAGE_NAME})"
