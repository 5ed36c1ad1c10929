"""The static site: home, a page per table, a provenance page per source text, and the documents.

Generated from the table definitions and the published package, with no network at build or
view time: every page works from `file://`, the only script is `site_assets/site.js`. The same
inputs give the same bytes, so a release archive that carries the site stays reproducible.
"""

from __future__ import annotations

import contextlib
import functools
import html
import itertools
import json
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from .descriptor import DESCRIPTION, LICENSE, PACKAGE_NAME, TITLE
from .docs import meaning
from .errors import CnkzError
from .figures import FIGURES_DIR
from .figures import NAMES as FIGURE_NAMES
from .files import is_package_path
from .metadata import address, apa, base_url, bibtex, citation, dataset_jsonld, read_table, release_index
from .tables import ROW_ID, TABLES, Field, Table

SITE = "site"
SOURCE_TABLE = "sources"
EVIDENCE = ("source_id", "quote", "char_start", "char_end")
# The column that says in words what a row is, where a table has one, shown next to its quote.
HEADLINES = ("summary", "statement", "description", "name")
ASSETS = ("site.css", "site.js")
# Markdown documents shown as pages, and where links between them point in the site.
DOCUMENTS = (("codebook", "docs/codebook.md", "Codebook"), ("curation", "CURATION.md", "Curation guide"), ("changelog", "CHANGELOG.md", "Changelog"))
PAGE_OF = {"docs/codebook.md": "codebook.html", "codebook.md": "codebook.html", "CURATION.md": "curation.html", "CHANGELOG.md": "changelog.html"}
# Written by `cnkz site` into every site folder it makes (never into the site of a release archive): the files it wrote.
# Only a folder that carries it, and holds nothing but what it lists, is ever replaced.
MARKER = ".cnkz-site"
MARKER_HEAD = "cnkz site: the files below are this site's; the next `cnkz site` replaces them and removes nothing else"
# The columns a table page shows until the reader ticks "show all columns": what a row is, who, when, and its quote.
# The rest of a table's columns are one click away (and in the files); test_site checks these name real columns.
SHOWN = {
    "sources": ("source_id", "title", "outlet", "agency", "published_on", "reference_date", "language"),
    "places": ("place_id", "name", "geonames_id", "latitude", "longitude", "country", "admin1_code"),
    "events": ("event_id", "event_type", "actor", "recipient", "start_date", "end_date", "place_id", "summary", "quote"),
    "participants": ("event_id", "name", "country", "office", "role", "present", "quote"),
    "pledges": ("pledge_id", "actor", "pledge_type", "topic", "statement", "deadline", "status", "quote"),
    "figures": ("figure_id", "metric", "description", "value", "unit", "period", "quote"),
    "pledge_updates": ("update_id", "pledge_id", "status", "as_of", "summary", "quote"),
}
# Columns of running text: the only ones whose cells wrap between words (every other cell stays on one line, an
# identifier breaking only after its dot). The headlines get the most room.
TEXT_COLUMNS = ("title", "notes", "reference_basis", "office", "venue", *HEADLINES[:3], "quote")
# What the site inside a release archive says where the repository's site names its setting.
RELEASE_NO_ADDRESS = ("No public address was set when this release was made, so links are relative to the folder the archive "
                      "unpacks to (the one that holds datapackage.json).")
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


def page(title: str, body: str, depth: int, version: str, head: str = "", main: str = "") -> str:
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
<main{f' class="{main}"' if main else ""}>
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


def _downloads(root: Path, releases: dict[str, dict[str, str]], version: str, base: str | None, release: bool) -> str:
    """Every release with its files, sizes and checksums. A file is linked only where the link leads somewhere: under the
    public address, or in the repository's releases/ when the file is there; a release archive holds no releases/ folder."""
    rows = []
    for number, entry in releases.items():
        files = [(entry["archive"], entry["sha256"])]
        if entry.get("wheel"):
            files.append((entry["wheel"], entry["wheel_sha256"]))
        for name, digest in files:
            if not is_package_path(name) or "/" in name:
                raise CnkzError(f"{name!r} is not a file name in releases/; restore the file from version control",
                                file="releases/index.json", record=number)
            path = root / "releases" / name
            size = human_size(path.stat().st_size) if path.exists() else "" if release else "not in this copy"
            linked = base is not None or (not release and path.exists())
            shown = f'<a href="{e(address(base, "releases/" + name, SITE))}">{e(name)}</a>' if linked else f"<code>{e(name)}</code>"
            rows.append(f'<tr><td>{e(number)}</td><td>{shown}</td><td class="size">{size}</td><td class="sha"><code>{e(digest)}</code></td>'
                        f'<td class="date">{e(entry["date"])}</td></tr>')
    if version not in releases:
        this = (f"the archive this site came in, <code>{e(PACKAGE_NAME)}-{e(version)}.zip</code>: compare its sha256 with the one "
                "published where you downloaded it" if release else
                "not released yet: its archive and sha256 are added to this list when it is")
        rows.append(f'<tr><td>{e(version)}</td><td colspan="4">this version: {this}</td></tr>')
    if base:
        note = ""
    elif release:
        note = ('<p class="note">Download the files listed here (each release archive, and the wheel of the <code>cnkz</code> package '
                "that validates and loads them) from the place you downloaded this archive; check each against its sha256.</p>")
    else:
        note = ('<p class="note">No public address is set for this copy (<code>[tool.cnkz] base-url</code> in <code>pyproject.toml</code>), '
                "so the files are linked in the repository's <code>releases/</code> folder.</p>")
    return ('<table class="plain downloads"><thead><tr><th>version</th><th>file</th><th>size</th><th>sha256</th><th>date</th></tr></thead><tbody>'
            + "".join(rows) + "</tbody></table>" + note)


LOADING = """<p>In the folder that holds <code>datapackage.json</code>:</p>
<h3>Python (pandas)</h3>
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


def script_json(data: Any) -> str:
    """JSON to embed in a <script> element, with `<`, `>` and `&` written as \\u escapes (valid JSON, the same value): no text
    in it can end the element or open a comment (`<!--<script>` would swallow the rest of the page)."""
    text = json.dumps(data, indent=1, ensure_ascii=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def source_date(source: dict[str, str]) -> str:
    """When a source text is from: its printed date, or the date the curation dates it by when it prints none."""
    if source.get("published_on"):
        return f'<span class="date">{e(source["published_on"])}</span>'
    return f'no date printed; reference date <span class="date">{e(source["reference_date"])}</span>'


def home(root: Path, tables: dict[str, list[dict[str, str]]], releases: dict[str, dict[str, str]], version: str,
         release: bool = False) -> str:
    base = base_url(root)
    cff = citation(root)
    data = dataset_jsonld(root, SITE, {} if release and not base else releases)  # no address an archive cannot resolve
    if release and "disambiguatingDescription" in data:
        data["disambiguatingDescription"] = RELEASE_NO_ADDRESS
    jsonld = script_json(data)
    counts = "".join(f'<tr><td><a href="tables/{t.name}.html">{e(t.name)}</a></td><td class="num">{len(tables[t.name])}</td>'
                     f"<td>{e(t.description)}</td></tr>" for t in TABLES)
    sources = "".join(f'<li><a href="sources/{e(s["source_id"])}.html">{e(s["title"])}</a> ({source_date(s)})</li>'
                      for s in tables[SOURCE_TABLE])
    pictures = "".join(f'<figure><img src="figures/{name}.svg" alt="{name} of the engagements"></figure>'
                       for name in FIGURE_NAMES if (root / FIGURES_DIR / f"{name}.svg").exists())
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
{_downloads(root, releases, version, base, release)}
<p>The package files of this version: <a href="../datapackage.json">datapackage.json</a> and <code>resources/</code> (CSV and Parquet).</p>
<h2>How to cite</h2>
<p>{e(apa(cff, base))}</p>
<pre><code>{e(bibtex(cff, base))}</code></pre>
<h2>How to load</h2>
{LOADING}
"""
    head = f'<script type="application/ld+json">\n{jsonld}\n</script>\n'
    return page("Home", body, 0, version, head)


def breakable(value: str) -> str:
    """A value shown on one line, except that an identifier `<source_id>.<key>` may break after its dot."""
    head, dot, tail = value.partition(".")
    if not (dot and re.fullmatch(ROW_ID, value)):
        return e(value)
    return f"<span>{e(head)}.</span><wbr><span>{e(tail)}</span>"


def column_class(table: Table, f: Field) -> str:
    """The classes of a column's cells: running text (wraps; a headline gets the most room), not shown by default."""
    classes = []
    if f.name in TEXT_COLUMNS:
        classes.append("prose")
        if f.name in HEADLINES:
            classes.append("headline")
        if f.name == "quote":
            classes.append("quote")
    elif f.name in table.primary_key or any(f.name in fk.fields for fk in table.foreign_keys):
        classes.append("id")
    if f.type in ("integer", "number"):
        classes.append("num")
    if f.type == "date":
        classes.append("date")
    if f.name not in SHOWN[table.name]:
        classes.append("extra")
    return f' class="{" ".join(classes)}"' if classes else ""


def _cell(table: Table, f: Field, row: dict[str, str], key: str, css: str) -> str:
    value = row[f.name]
    if value == "":
        return f"<td{css}></td>"
    if f.vocabulary is not None:
        code = dict(f.vocabulary.values)
        return f'<td{css}><span class="code" title="{e(meaning(f.vocabulary, value, code.get(value, "")))}">{e(value)}</span></td>'
    if f.name == "quote" and has_evidence(table):
        return f'<td{css}><a href="../sources/{e(row["source_id"])}.html#q-{e(table.name)}-{e(key)}">{e(value)}</a></td>'
    for fk in table.foreign_keys:
        if fk.fields == (f.name,):
            if fk.table == SOURCE_TABLE:
                return f'<td{css}><a href="../sources/{e(value)}.html">{breakable(value)}</a></td>'
            return f'<td{css}><a href="{e(fk.table)}.html#row-{e(value)}">{breakable(value)}</a></td>'
    if table.name == SOURCE_TABLE and f.name == "source_id":
        return f'<td{css}><a href="../sources/{e(value)}.html">{breakable(value)}</a></td>'
    return f"<td{css}>{breakable(value)}</td>"


def table_page(table: Table, rows: list[dict[str, str]], version: str) -> str:
    classes = {f.name: column_class(table, f) for f in table.fields}
    head = "".join(f'<th{classes[f.name]} data-type="{"number" if f.type in ("integer", "number") else "text"}" title="{e(f.description)}">'
                   f'<button type="button">{e(f.name)}</button></th>' for f in table.fields)
    body_rows = []
    for row in rows:
        key = row_key(table, row)
        body_rows.append(f'<tr id="row-{e(key)}">' + "".join(_cell(table, f, row, key, classes[f.name]) for f in table.fields) + "</tr>")
    shown = SHOWN[table.name]
    columns = "".join(f"<tr><td><code>{e(f.name)}</code></td><td>{e(f.type)}</td><td>{'yes' if f.name in shown else ''}</td>"
                      f"<td>{e(f.description)}</td></tr>" for f in table.fields)
    vocabularies = []
    for f in table.fields:
        if f.vocabulary is not None:
            items = "".join(f"<tr><td><code>{e(c)}</code></td><td>{e(meaning(f.vocabulary, c, text))}</td></tr>" for c, text in f.vocabulary.values)
            vocabularies.append(f'<h3 id="vocabulary-{e(f.name)}"><code>{e(f.name)}</code> (vocabulary <code>{e(f.vocabulary.name)}</code>)</h3>'
                                f'<table class="plain"><thead><tr><th>value</th><th>meaning</th></tr></thead><tbody>{items}</tbody></table>')
    provenance = ("Each <code>quote</code> links to its place in the source text." if has_evidence(table) else "")
    hidden = [f.name for f in table.fields if f.name not in shown]
    toggle = (f'<label class="toggle"><input type="checkbox" id="all-columns"> show all {len(table.fields)} columns</label>'
              f'<span class="hidden-columns"> ({len(shown)} shown; the others: {e(", ".join(hidden))})</span>' if hidden else "")
    body = f"""<h1>{e(table.title)} <code>{e(table.name)}</code></h1>
<p class="lead">{e(table.description)}</p>
<p>{len(rows)} rows. Primary key <code>{e(", ".join(table.primary_key))}</code>. Files:
<a href="../../resources/{e(table.name)}.csv">{e(table.name)}.csv</a>, <a href="../../resources/{e(table.name)}.parquet">{e(table.name)}.parquet</a>.
Click a column name to sort; hover over a coded value for its meaning. {provenance}</p>
<p class="controls"><label>Filter rows <input type="search" id="filter" placeholder="words that every shown row contains"></label>
<span id="count" aria-live="polite">{len(rows)} of {len(rows)} rows</span> {toggle}</p>
<div class="scroll"><table class="data" id="rows"><thead><tr>{head}</tr></thead>
<tbody>
{chr(10).join(body_rows)}
</tbody></table></div>
<h2>Columns</h2>
<table class="plain"><thead><tr><th>column</th><th>type</th><th>shown at first</th><th>description</th></tr></thead><tbody>{columns}</tbody></table>
<h2>Vocabularies</h2>
{"".join(vocabularies) or "<p>This table has no coded columns.</p>"}
"""
    return page(table.title, body, 1, version, main="wide")


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
    from .safety import read_regular
    from .validate import safe_path

    file = safe_path(root, source["path"])
    if file is None:
        raise CnkzError(f"{source['path']!r} is not a file of the package; run `cnkz validate`", file=str(root / "resources" / "sources.csv"),
                        field="path")
    text = read_regular(file, "the source text").decode("utf-8")
    quotes = quotes_of(source["source_id"], tables)
    listed = "".join(
        f'<li id="list-{e(q.table)}-{e(q.key)}"><a href="#q-{e(q.table)}-{e(q.key)}" class="jump">{q.start}–{q.end}</a> '
        f'<a href="../tables/{e(q.table)}.html#row-{e(q.key)}" class="row">{e(q.table)} {e(q.key)}</a> '
        f'<span class="label">{e(q.label)}</span> “{e(q.text)}”</li>'
        for q in quotes)
    facts = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in source.items() if k != "title" and v)
    body = f"""<h1>{e(source["title"])}</h1>
<details><summary>About this text ({source_date(source)}; its row in
<a href="../tables/{SOURCE_TABLE}.html#row-{e(source["source_id"])}">{SOURCE_TABLE}</a>)</summary>
<table class="plain facts"><tbody>{facts}</tbody></table></details>
<p class="legend">The text exactly as collected (<a href="../../{e(source["path"])}">{e(source["path"])}</a>). Each highlight is the quote of one or more
rows: <span class="q d1">quoted by one row</span>, <span class="q d2">by two</span>, <span class="q d3">by three or more</span>.
Click a highlight for its rows.</p>
<div class="reader">
<aside id="panel" aria-labelledby="panel-title">
<p id="current" aria-live="polite"></p>
<h2 id="panel-title">Rows quoting this passage</h2>
<p class="hint">Click a highlight in the text to list the rows that quote it.</p>
<ul></ul>
</aside>
<div class="text" id="text">{highlighted(text, quotes)}</div>
</div>
<h2>Quotes in this text ({len(quotes)})</h2>
<ol class="quotes">{listed}</ol>
"""
    return page(source["title"], body, 1, version)


_ANCHOR = re.compile(r'<a href="([^"#]*)(#[^"]*)?"([^>]*)>(.*?)</a>', re.S)
# Files of the package a document may link to; they are beside the site folder in a clone and in a release.
PACKAGE_FILES = ("datapackage.json", "resources/", "seeds/", "scripts/load.R")


_COMMENT = re.compile(r"\s*<!--(?:(?!-->).)*-->\s*", re.S)


class NoRawHTML:
    """Marko renderer methods: raw HTML in a document is shown as text, never passed through (a lone comment is left out),
    so no document (a CHANGELOG line from a contribution, say) can put markup or script into a page."""

    def render_html_block(self, element: Any) -> str:
        body = str(element.body)
        return "" if _COMMENT.fullmatch(body) else f"<p>{e(body.strip())}</p>\n"

    def render_inline_html(self, element: Any) -> str:
        return e(str(element.children))


@functools.cache
def markdown() -> Any:
    """GitHub-flavoured Markdown without raw HTML (NoRawHTML comes first, before the GFM renderer's own methods)."""
    from marko import Markdown
    from marko.ext.gfm import GFM
    from marko.helpers import MarkoExtension

    return Markdown(extensions=[GFM, MarkoExtension(renderer_mixins=[NoRawHTML])])


_HEADING = re.compile(r"<h([1-6])>(.*?)</h\1>", re.S)


def with_heading_ids(body: str) -> str:
    """Each heading gets the id GitHub gives it (lower case, punctuation dropped, spaces as hyphens, -1, -2… when repeated),
    so the documents' own links to their sections (`#country`) land on them."""
    seen: dict[str, int] = {}

    def heading(match: re.Match[str]) -> str:
        words = html.unescape(re.sub(r"<[^>]+>", "", match.group(2))).strip().lower()
        slug = re.sub(r"[^\w\- ]", "", words).replace(" ", "-") or "section"
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        ident = f"{slug}-{count}" if count else slug
        return f'<h{match.group(1)} id="{e(ident)}">{match.group(2)}</h{match.group(1)}>'

    return _HEADING.sub(heading, body)


def markdown_page(name: str, text: str, label: str, version: str) -> str:
    """A Markdown document as a page; links to the other documents point at their pages, links to files no package holds become text."""
    body = with_heading_ids(str(markdown().convert(text)))

    def link(match: re.Match[str]) -> str:
        target, fragment, rest, words = match.group(1), match.group(2) or "", match.group(3), match.group(4)
        if target == "" or re.match(r"^[a-z]+:", target):
            return match.group(0)
        if target in PAGE_OF:
            return f'<a href="{PAGE_OF[target]}{fragment}"{rest}>{words}</a>'
        if target.startswith(PACKAGE_FILES):
            return f'<a href="../{target}{fragment}"{rest}>{words}</a>'
        return words  # a repository file (code, review notes) that a release does not carry

    return page(label, f'<div class="doc {e(name)}">{_ANCHOR.sub(link, body)}</div>', 0, version)


def check_package(root: Path) -> None:
    """Nothing of the package is read before it is validated: first its files (paths, sizes, sha256), then its rows."""
    from .validate import LAYERS, check_non_finite, check_rows, validate

    rows = (check_rows, check_non_finite)
    for layers in ([layer for layer in LAYERS if layer not in rows], rows):
        problems = validate(root, layers)
        if problems:
            first = " ".join(str(problems[0]).split())  # one line, whatever a cell holds
            first = first if len(first) <= 400 else first[:399] + "…"
            raise CnkzError(f"the package is not valid, so no site was made: {len(problems)} problem(s), the first {first}; "
                            "run `cnkz validate` to see them all", file=str(root))


def site_files(root: Path, releases: dict[str, dict[str, str]] | None = None, *, release: bool = False,
               validated: bool = False) -> dict[str, bytes]:
    """Every file of the site by its path inside the site folder, from a package that passed validation.

    `release`: the copy inside a release archive, for its reader. It links nothing the archive lacks (there is no
    releases/ folder in it) and names no setting of the repository; the repository's copy links the files in releases/.
    `validated`: the caller has just validated `root` with every layer and holds the lock that keeps it so (a release);
    otherwise the package is validated here first."""
    from .descriptor import project_version

    root = Path(root)
    if not validated:
        check_package(root)
    version = json.loads((root / "datapackage.json").read_text(encoding="utf-8")).get("version") or project_version(root)
    releases = release_index(root) if releases is None else releases
    tables = {t.name: read_table(root, t.name) for t in TABLES}
    files: dict[str, str | bytes] = {"index.html": home(root, tables, releases, version, release)}
    for table in TABLES:
        files[f"tables/{table.name}.html"] = table_page(table, tables[table.name], version)
    for source in tables[SOURCE_TABLE]:
        source_id = source["source_id"]
        if not is_package_path(source_id) or "/" in source_id:
            raise CnkzError(f"{source_id!r} cannot name a page of the site (it is not a plain file name); run `cnkz validate`",
                            file=str(root / "resources" / "sources.csv"), field="source_id")
        files[f"sources/{source_id}.html"] = source_page(root, source, tables, version)
    for name, path, label in DOCUMENTS:
        if (root / path).exists():
            files[f"{name}.html"] = markdown_page(name, (root / path).read_text(encoding="utf-8"), label, version)
    for name in FIGURE_NAMES:
        figure = root / FIGURES_DIR / f"{name}.svg"
        if figure.exists():
            files[f"figures/{name}.svg"] = figure.read_bytes()
    assets = resources.files("cnkz") / "site_assets"
    for asset in ASSETS:
        files[f"assets/{asset}"] = (assets / asset).read_bytes()
    return {k: v.encode("utf-8") if isinstance(v, str) else v for k, v in sorted(files.items())}


def _write_tree(files: dict[str, bytes], target: Path) -> None:
    """Write `files` under `target`: every name a package path that stays inside it, checked before anything is written."""
    base = target.resolve()
    for name in files:
        if not is_package_path(name) or not (base / name).resolve().is_relative_to(base) or (base / name).resolve() == base:
            raise CnkzError(f"{name!r} would be written outside the site folder; nothing was written", file=str(target))
    for name, data in files.items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


NOT_A_FOLDER = "not a folder (a file or a link); nothing was changed. Choose a new or empty folder for --out"
NOT_OURS = ("the folder is not empty and `cnkz site` did not write it (no .cnkz-site in it); nothing was changed. "
            "Choose a new or empty folder for --out, or empty this one yourself")


def _marker_files(folder: Path) -> list[str] | None:
    """The files the marker in `folder` lists, or None when it has no marker that `cnkz site` wrote."""
    from .safety import read_regular

    marker = folder / MARKER
    if marker.is_symlink() or not marker.is_file():
        return None
    try:
        head, *names = read_regular(marker, "the site marker").decode("utf-8").splitlines()
    except (CnkzError, UnicodeDecodeError, ValueError):
        return None
    if head != MARKER_HEAD or not all(is_package_path(name) and name != MARKER for name in names):
        return None
    return names


def site_in(out: Path) -> list[str] | None:
    """The files of the site that `cnkz site` wrote in `out`, which the next site replaces; None when `out` is missing or empty.

    Refused, naming the folder: a file or link, a folder without the marker, and a marked one holding anything the
    marker does not list (a file of someone else's, a link, an extra folder): nothing but our own files is ever removed."""
    if not os.path.lexists(out):
        return None
    if out.is_symlink() or not out.is_dir():
        raise CnkzError(NOT_A_FOLDER, file=str(out))
    if not any(out.iterdir()):
        return None
    names = _marker_files(out)
    if names is None:
        raise CnkzError(NOT_OURS, file=str(out))
    listed = {*names, MARKER}
    folders = {parent.as_posix() for name in names for parent in Path(name).parents if parent != Path(".")}
    for folder, subfolders, entries in os.walk(out):
        for entry in sorted(subfolders) + sorted(entries):
            path = Path(folder) / entry
            try:
                mode = os.lstat(path).st_mode
            except FileNotFoundError:
                continue  # gone while we looked
            relative = path.relative_to(out).as_posix()
            if not ((stat.S_ISDIR(mode) and relative in folders) or (stat.S_ISREG(mode) and relative in listed)):
                raise CnkzError(f"the folder holds {relative}, which `cnkz site` did not write; nothing was changed. "
                                "Move it out of the folder, or choose another folder for --out", file=str(out))
    return names


def _remove_site(folder: Path, names: list[str]) -> None:
    """Remove the files `names` of a site set aside, then the folders they emptied; anything else stays where it is."""
    for name in [*names, MARKER]:
        with contextlib.suppress(OSError):  # gone already, or not a file: left alone
            os.unlink(folder / name)
    folders = {parent for name in names for parent in (folder / name).parents if parent.is_relative_to(folder)}
    for path in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):  # not empty: what is not ours stays
            os.rmdir(path)


def _switch(staging: Path, out: Path) -> None:
    """Put the folder `staging` in the place of `out`: created when missing, put over it when empty, and when `out` is a
    site we wrote, that site set aside (under a name of our own) and then its files removed."""
    previous = site_in(out)  # checked again, just before the switch
    if previous is None:
        os.rename(staging, out)  # one step: a missing folder appears, an empty one is replaced
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{out.name}-previous-", dir=out.parent))
    try:
        os.rename(out, aside)  # onto the empty folder just made: no name of anyone else's is taken
    except OSError:
        os.rmdir(aside)
        raise
    try:
        os.rename(staging, out)
    except OSError as exc:
        try:
            os.rename(aside, out)
        except OSError:
            raise CnkzError(f"cannot switch the new site in ({exc.strerror}); the previous one is in {aside}", file=str(out)) from None
        raise
    _remove_site(aside, previous)


def write_site(root: Path, out: Path | None = None) -> list[Path]:
    """Write the site to out (default site/ in root): built beside it, then switched in whole.

    `out` must be missing, empty, or a site this function wrote (see site_in); anything else is refused before the
    package is read, and nothing but the files of the previous site is ever removed."""
    out = Path(out or Path(root) / SITE)
    site_in(out)  # refused before any work
    files = site_files(root)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        _write_tree({**files, MARKER: "".join(f"{line}\n" for line in [MARKER_HEAD, *files]).encode("utf-8")}, staging)
        os.chmod(staging, 0o755)  # mkdtemp makes it private; a site is for reading
        _switch(staging, out)
    except OSError as exc:
        raise CnkzError(f"cannot write the site ({exc.strerror}); nothing was changed", file=str(out)) from None
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)  # our own staging folder, when it was not switched in
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
