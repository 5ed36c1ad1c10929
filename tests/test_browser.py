"""The site in a real browser (Debian's headless Chromium): home → a table → filter → a row → its quote, and back."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cnkz.site import HEADLINES, SHOWN, write_site
from cnkz.tables import TABLES, TABLES_BY_NAME

from .browser import CHROMEDRIVER, CHROMIUM, chrome, console_errors, requested_urls, require_tools, set_viewport
from .conftest import copy_repo
from .test_site import table_rows

# One xdist worker (--dist loadgroup) runs this module's tests, so the browser and the site are made once.
pytestmark = pytest.mark.xdist_group("browser")

pytest.importorskip("selenium", reason="the browser tests need selenium (the test dependency group installs it)")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = copy_repo(tmp_path_factory.mktemp("browser") / "repo")
    write_site(repo)
    return repo / "site"


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    require_tools(CHROMIUM, CHROMEDRIVER)
    browser = chrome()
    yield browser
    browser.quit()


def wait(driver: Any, condition: Any, seconds: float = 10) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, seconds).until(condition)


def visible_text(driver: Any, script: str) -> Any:
    return driver.execute_script(script)


@contextlib.contextmanager
def viewport(driver: Any, width: int, height: int) -> Iterator[None]:
    """The page's viewport width × height CSS pixels for the block, then back to chrome()'s 1280 × 900."""
    set_viewport(driver, width, height)
    try:
        yield
    finally:
        set_viewport(driver, 1280, 900)


def announced(table: str, row: dict[str, str]) -> str:
    """What a source page says when it shows a row's quote: what the row says (its headline), not its id."""
    headline = next(h for h in HEADLINES if h in TABLES_BY_NAME[table].columns)
    return f"Showing the quote of \u201c{row[headline]}\u201d ({table})."


# The number of lines an element's text takes: the distinct bottoms of the boxes of its text.
LINES_OF = """const lines = element => { const walk = document.createTreeWalker(element, NodeFilter.SHOW_TEXT), bottoms = new Set();
  for (let node = walk.nextNode(); node; node = walk.nextNode()) {
    const range = document.createRange(); range.selectNodeContents(node);
    for (const r of range.getClientRects()) { if (r.width > 0) { bottoms.add(Math.round(r.bottom)); } }
  }
  return bottoms.size; };"""
LINES = LINES_OF + "return lines(arguments[0]);"


def assert_clean(driver: Any) -> None:
    """No console message of level warning or error, and nothing requested outside file://."""
    assert console_errors(driver) == []
    outside = [url for url in requested_urls(driver) if not url.startswith(("file://", "data:"))]
    assert outside == []


def test_every_page_loads_offline_without_console_errors(site: Path, driver: Any) -> None:
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= 1 + len(TABLES) + 3
    for path in pages:
        driver.get(path.as_uri())
        wait(driver, lambda d: d.execute_script("return document.readyState") == "complete")
        assert driver.title.endswith("China–Kazakhstan high-level engagements"), path
        assert_clean(driver)
        # The images a page shows were found and decoded.
        broken = driver.execute_script("return Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)")
        assert broken == [], path


def test_home_to_table_to_filter_to_row_to_quote_and_back(site: Path, driver: Any) -> None:
    from selenium.webdriver.common.by import By

    driver.get((site / "index.html").as_uri())
    jsonld = json.loads(driver.find_element(By.CSS_SELECTOR, 'script[type="application/ld+json"]').get_attribute("textContent"))
    assert jsonld["@type"] == "Dataset"

    driver.find_element(By.LINK_TEXT, "pledges").click()
    wait(driver, lambda d: d.current_url.endswith("/tables/pledges.html"))
    rows = table_rows(site.parent, "pledges")
    assert driver.find_element(By.ID, "count").text == f"{len(rows)} of {len(rows)} rows"

    box = driver.find_element(By.ID, "filter")
    box.send_keys("trade target")
    # A row stays when its text (the cells one after another) holds every word.
    expected = [r for r in rows if all(w in "".join(r.values()).lower() for w in ("trade", "target"))]
    assert expected
    wait(driver, lambda d: d.find_element(By.ID, "count").text == f"{len(expected)} of {len(rows)} rows")
    shown = [tr.get_attribute("id") for tr in driver.find_elements(By.CSS_SELECTOR, "#rows tbody tr") if tr.is_displayed()]
    assert shown == [f"row-{r['pledge_id']}" for r in expected]

    row = expected[0]
    driver.find_element(By.CSS_SELECTOR, f'tr[id="row-{row["pledge_id"]}"] td.quote a').click()
    wait(driver, lambda d: f"/sources/{row['source_id']}.html#q-pledges-" in d.current_url)
    marks = wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "a.q.current"))
    assert "".join(m.get_attribute("textContent") for m in marks) == row["quote"]
    assert driver.find_element(By.ID, "current").text == announced("pledges", row)
    # The highlight is in view: the page scrolled to it.
    assert driver.execute_script("const r = arguments[0].getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight", marks[0])

    marks[0].click()
    panel = driver.find_element(By.ID, "panel")
    wait(driver, lambda d: panel.find_elements(By.CSS_SELECTOR, "ul li"))
    links = {a.text: a for a in panel.find_elements(By.TAG_NAME, "a")}
    assert f"pledges {row['pledge_id']}" in links
    # Each row in the panel says what it is: for a pledge, its statement.
    assert f"pledges {row['pledge_id']}: {row['statement']}" in panel.text.splitlines()
    links[f"pledges {row['pledge_id']}"].click()
    wait(driver, lambda d: d.current_url.endswith(f"/tables/pledges.html#row-{row['pledge_id']}"))
    current = wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#rows tr.current"))
    assert [tr.get_attribute("id") for tr in current] == [f"row-{row['pledge_id']}"]
    assert_clean(driver)


def test_every_quote_link_lands_on_exactly_its_quote(site: Path, driver: Any) -> None:
    """For every table with evidence and every source text, a row's link shows highlights whose text is the row's quote."""
    from selenium.webdriver.common.by import By

    checked = set()
    for table in TABLES:
        if "quote" not in table.columns:
            continue
        for row in table_rows(site.parent, table.name):
            if (table.name, row["source_id"]) in checked:
                continue  # one row per table and text keeps this quick; test_site checks every anchor
            key = "--".join(row[k] for k in table.primary_key)
            driver.get((site / "sources" / f"{row['source_id']}.html").as_uri() + f"#q-{table.name}-{key}")
            # Within one page only the fragment changes, and the page answers the hashchange event in its own time.
            wait(driver, lambda d: d.find_element(By.ID, "current").text == announced(table.name, row))  # noqa: B023
            marks = driver.find_elements(By.CSS_SELECTOR, "a.q.current")
            assert "".join(m.get_attribute("textContent") for m in marks) == row["quote"], (table.name, key)
            checked.add((table.name, row["source_id"]))
    assert checked == {(t.name, r["source_id"]) for t in TABLES if "quote" in t.columns for r in table_rows(site.parent, t.name)}
    assert_clean(driver)


def test_sorting_a_number_column_puts_empty_cells_last(site: Path, driver: Any) -> None:
    from selenium.webdriver.common.by import By

    table = TABLES_BY_NAME["pledges"]
    column = table.columns.index("deadline")
    driver.get((site / "tables" / "pledges.html").as_uri())
    header = driver.find_elements(By.CSS_SELECTOR, "#rows thead th")[column]
    header.find_element(By.TAG_NAME, "button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    cells = driver.execute_script(f"return Array.from(document.querySelectorAll('#rows tbody tr')).map(r => r.cells[{column}].textContent)")
    values = [c for c in cells if c]
    assert values == sorted(values, key=int) and cells == values + [""] * (len(cells) - len(values))
    header.find_element(By.TAG_NAME, "button").click()
    assert header.get_attribute("aria-sort") == "descending"
    cells = driver.execute_script(f"return Array.from(document.querySelectorAll('#rows tbody tr')).map(r => r.cells[{column}].textContent)")
    assert [c for c in cells if c] == sorted(values, key=int, reverse=True)
    assert_clean(driver)


# ---------------------------------------------------------------- a reader's view at 1400 × 900 and 390 × 844 (issue 20, items 7, 9, 10)

CELLS = LINES_OF + """const box = document.querySelector('.scroll'), table = document.getElementById('rows'), edge = box.getBoundingClientRect().right;
const cells = Array.from(table.querySelectorAll('th, td')).filter(c => c.offsetWidth > 0);
const plain = cells.filter(c => !c.classList.contains('prose'));
return {table: table.offsetWidth, box: box.clientWidth, edge: edge, inner: innerWidth, page: document.documentElement.scrollWidth,
  rem: parseFloat(getComputedStyle(document.documentElement).fontSize),
  shown: Array.from(table.tHead.rows[0].cells).filter(c => c.offsetWidth > 0).map(c => c.textContent),
  widths: Object.fromEntries(Array.from(table.tHead.rows[0].cells).map(c => [c.textContent, c.offsetWidth])),
  outside: cells.filter(c => c.getBoundingClientRect().right > edge + 0.5).map(c => c.textContent).slice(0, 3),
  clipped: plain.filter(c => c.scrollWidth > c.clientWidth + 1 || getComputedStyle(c).textOverflow === 'ellipsis'
                             || Array.from(c.querySelectorAll('*')).some(e => getComputedStyle(e).textOverflow === 'ellipsis'))
                .map(c => c.textContent).slice(0, 3),
  wrapped: plain.filter(c => !c.classList.contains('id') && c.textContent && lines(c) > 1).map(c => c.textContent).slice(0, 3),
  dates: cells.filter(c => c.classList.contains('date') && c.tagName === 'TD' && c.textContent)
              .map(c => [c.textContent, c.getBoundingClientRect().left >= 0 && c.getBoundingClientRect().right <= innerWidth, lines(c)])};"""


def test_table_pages_fit_a_1400_wide_window_with_the_columns_shown_at_first(site: Path, driver: Any) -> None:
    """Pledges were clipped on the right with their statements squeezed to 7rem, events hid their dates, recipient read 'KA…'."""
    with viewport(driver, 1400, 900):
        for table in TABLES:
            driver.get((site / "tables" / f"{table.name}.html").as_uri())
            found = driver.execute_script(CELLS)
            assert found["shown"] == list(SHOWN[table.name]), table.name
            assert found["table"] <= found["box"] and found["edge"] <= found["inner"] == 1400, (table.name, found["table"], found["box"])
            assert found["page"] == 1400, table.name  # nothing widens the page
            assert found["outside"] == [] and found["clipped"] == [] and found["wrapped"] == [], (table.name, found)
            assert all(inside and lines == 1 for _, inside, lines in found["dates"]), (table.name, found["dates"])
            if table.name == "pledges":
                assert found["widths"]["statement"] >= 25 * found["rem"]
            if table.name == "events":
                assert {"start_date", "end_date", "recipient"} <= set(found["shown"])
                assert len(found["dates"]) == 2 * len([r for r in table_rows(site.parent, "events") if r["start_date"]])
    assert_clean(driver)


def test_all_columns_are_one_click_away_and_scroll_inside_the_table(site: Path, driver: Any) -> None:
    from selenium.webdriver.common.by import By

    table = TABLES_BY_NAME["pledges"]
    with viewport(driver, 1400, 900):
        driver.get((site / "tables" / "pledges.html").as_uri())
        driver.find_element(By.ID, "all-columns").click()
        found = driver.execute_script(CELLS)
        assert found["shown"] == table.columns
        assert found["table"] > found["box"] and found["page"] == 1400  # the table's box scrolls, not the page
        driver.find_element(By.ID, "all-columns").click()
        assert driver.execute_script(CELLS)["shown"] == list(SHOWN["pledges"])
    assert_clean(driver)


def test_on_a_phone_only_a_table_scrolls_sideways(site: Path, driver: Any) -> None:
    with viewport(driver, 390, 844):
        for path in sorted(site.rglob("*.html")):
            driver.get(path.as_uri())
            wait(driver, lambda d: d.execute_script("return document.readyState") == "complete")
            # A page wider than the screen would widen the layout viewport of a phone, or scroll the document.
            assert driver.execute_script("return [innerWidth, document.documentElement.scrollWidth]") == [390, 390], path.name
            if path.parent.name == "tables":
                box = driver.execute_script("""const box = document.querySelector('.scroll'); box.scrollLeft = 10000;
                    return [box.scrollWidth > box.clientWidth, box.scrollLeft > 0, box.getBoundingClientRect().right <= innerWidth,
                            scrollX, document.documentElement.scrollWidth];""")
                assert box[:3] == [True, True, True] and box[3:] == [0, 390], (path.name, box)
    assert_clean(driver)


def rects(driver: Any) -> dict[str, Any]:
    return dict(driver.execute_script("""const box = e => { const r = document.getElementById(e).getBoundingClientRect();
        return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; };
        return {panel: box('panel'), text: box('text'), width: innerWidth, height: innerHeight};"""))


def apart(a: dict[str, float], b: dict[str, float]) -> bool:
    return a["right"] <= b["left"] or b["right"] <= a["left"] or a["bottom"] <= b["top"] or b["bottom"] <= a["top"]


def inside(box: dict[str, float], width: int, height: int) -> bool:
    return box["left"] >= -0.5 and box["top"] >= -0.5 and box["right"] <= width + 0.5 and box["bottom"] <= height + 0.5


@pytest.mark.parametrize(("width", "height", "source", "table", "key"), [
    (1400, 900, "2010-jia-qinglin-astana", "figures", "2010-jia-qinglin-astana.visit-length"),
    (390, 844, "2017-xi-jinping-astana", "pledges", "2017-xi-jinping-astana.bright-road-docking"),
])
def test_the_rows_of_a_passage_are_listed_beside_or_above_the_text_never_over_it(site: Path, driver: Any, width: int, height: int,
                                                                                 source: str, table: str, key: str) -> None:
    """The panel used to be fixed over the bottom right of the text, reaching the window's edge."""
    from selenium.webdriver.common.by import By

    row = next(r for r in table_rows(site.parent, table) if "--".join(r[k] for k in TABLES_BY_NAME[table].primary_key) == key)
    with viewport(driver, width, height):
        driver.get((site / "sources" / f"{source}.html").as_uri() + f"#q-{table}-{key}")
        wait(driver, lambda d: d.find_element(By.ID, "current").text == announced(table, row))
        mark = driver.find_elements(By.CSS_SELECTOR, "a.q.current")[-1]
        mark.click()
        panel = driver.find_element(By.ID, "panel")
        wait(driver, lambda d: f"{table} {key}" in [a.text for a in panel.find_elements(By.CSS_SELECTOR, "li a")])
        found = rects(driver)
        assert apart(found["panel"], found["text"]) and inside(found["panel"], width, height), found
        if width >= 1000:
            assert found["panel"]["left"] >= found["text"]["right"]  # beside the text
            driver.execute_script("window.scrollBy(0, 1200)")
            found = rects(driver)
            assert apart(found["panel"], found["text"]) and inside(found["panel"], width, height), found  # and it stays in view
        else:
            assert found["panel"]["bottom"] <= found["text"]["top"]  # above the text, brought into view
            panel.find_element(By.CSS_SELECTOR, "a.back").click()
            assert driver.execute_script("const r = arguments[0].getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight", mark)
    assert_clean(driver)


def luminance(color: str) -> float:
    """WCAG relative luminance of a computed `rgb(r, g, b)` colour."""
    channels = [int(c) / 255 for c in re.findall(r"[0-9]+", color)[:3]]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: float, b: float) -> float:
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)


def test_how_many_rows_quote_a_passage_is_told_apart_by_background_and_underline(site: Path, driver: Any) -> None:
    driver.get((site / "sources" / "2010-jia-qinglin-astana.html").as_uri())
    styles = driver.execute_script("""const style = e => { const s = getComputedStyle(e);
        return [s.backgroundColor, s.textDecorationLine, s.textDecorationStyle, s.color]; };
        return [1, 2, 3].map(d => [style(document.querySelector('.legend .q.d' + d)), style(document.querySelector('#text a.q.d' + d))]);""")
    for legend, in_text in styles:
        assert legend == in_text  # the legend shows the highlights as the text has them
    backgrounds = [luminance(legend[0]) for legend, _ in styles]
    assert backgrounds[0] > backgrounds[1] > backgrounds[2]
    assert contrast(backgrounds[0], backgrounds[1]) >= 1.25 and contrast(backgrounds[1], backgrounds[2]) >= 1.25
    assert [legend[1:3] for legend, _ in styles] == [["none", "solid"], ["underline", "solid"], ["underline", "double"]]
    assert all(contrast(luminance(legend[3]), background) >= 4.5 for (legend, _), background in zip(styles, backgrounds))
    assert_clean(driver)


def test_home_page_dates_and_sizes_stay_on_one_line(site: Path, driver: Any) -> None:
    """The downloads table broke '2026-11-/23'; two source texts showed a slug where their date belongs."""
    from selenium.webdriver.common.by import By

    for width, height in ((1400, 900), (390, 844)):
        with viewport(driver, width, height):
            driver.get((site / "index.html").as_uri())
            cells = driver.find_elements(By.CSS_SELECTOR, "table.downloads td.date, table.downloads td.size, li .date")
            assert len(cells) >= 2 * 3 + 5
            for cell in cells:
                assert re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9.]+ [KM]iB", cell.get_attribute("textContent")), cell.text
                assert driver.execute_script(LINES, cell) == 1, (width, cell.text)
            items = [li.text for li in driver.find_elements(By.CSS_SELECTOR, "main ul li")]
            assert [s["source_id"] for s in table_rows(site.parent, "sources") if any(s["source_id"] in item for item in items)] == []
    assert_clean(driver)


# ---------------------------------------------------------------- hostile documents and metadata (issue 17, items 5 and 19)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Sites of a repository whose CHANGELOG holds raw HTML and whose metadata holds `<!--<script>`: site/ as `cnkz site`
    writes it, and dated/ with that text as a release date too (the index refuses such a date, so it is passed directly)."""
    from cnkz.site import site_files

    from .test_site import HOSTILE_MARKDOWN, HOSTILE_TEXT

    repo = copy_repo(tmp_path_factory.mktemp("hostile") / "repo")
    changelog = repo / "CHANGELOG.md"
    changelog.write_text(changelog.read_text(encoding="utf-8") + "\n" + HOSTILE_MARKDOWN, encoding="utf-8")
    path = repo / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    descriptor["resources"][0]["title"] = HOSTILE_TEXT
    path.write_text(json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    write_site(repo)
    releases = {"1.0.0": {"archive": "china-kazakhstan-engagements-1.0.0.zip", "sha256": "0" * 64, "date": HOSTILE_TEXT}}
    for name, data in site_files(repo, releases).items():
        (repo / "dated" / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / "dated" / name).write_bytes(data)
    return repo


def test_raw_html_in_a_document_is_shown_as_text_and_never_runs(hostile: Path, driver: Any) -> None:
    from selenium.webdriver.common.by import By

    driver.get((hostile / "site" / "changelog.html").as_uri())
    wait(driver, lambda d: d.execute_script("return document.readyState") == "complete")  # after every image loaded or failed
    assert driver.execute_script("return window.pwned === undefined")
    assert driver.title == "Changelog · China–Kazakhstan high-level engagements"
    assert driver.execute_script("return document.querySelectorAll('.doc img, .doc script, .doc b').length") == 0
    shown = driver.find_element(By.CSS_SELECTOR, ".doc").text
    assert "<img src=x onerror=\"window.pwned=1;document.title='pwned'\">" in shown
    assert 'Fixed <img src=y onerror="window.pwned=2"> and <script>window.pwned=3</script> in a list.' in shown
    assert "a comment" not in shown
    driver.find_element(By.LINK_TEXT, "a link").click()
    driver.find_element(By.XPATH, "//*[contains(text(), 'onmouseover')]").click()
    assert driver.execute_script("return window.pwned === undefined")
    assert_clean(driver)


def test_markup_in_the_metadata_leaves_the_home_page_whole(hostile: Path, driver: Any) -> None:
    from selenium.webdriver.common.by import By

    from .test_site import HOSTILE_TEXT

    for folder in ("site", "dated"):
        driver.get((hostile / folder / "index.html").as_uri())
        wait(driver, lambda d: d.execute_script("return document.readyState") == "complete")
        # The page is all there: its heading, its last section, and the site's own script after the JSON-LD.
        assert driver.find_element(By.TAG_NAME, "h1").text == "China–Kazakhstan high-level engagements", folder
        assert "How to load" in [h.text for h in driver.find_elements(By.TAG_NAME, "h2")]
        assert [s.get_attribute("type") or s.get_attribute("src").rsplit("/", 1)[-1] for s in driver.find_elements(By.TAG_NAME, "script")] == [
            "application/ld+json", "site.js"]
        jsonld = json.loads(driver.find_element(By.CSS_SELECTOR, 'script[type="application/ld+json"]').get_attribute("textContent"))
        assert jsonld["distribution"][0]["description"] == HOSTILE_TEXT
        if folder == "dated":
            assert jsonld["distribution"][-1]["uploadDate"] == HOSTILE_TEXT
            assert HOSTILE_TEXT in driver.find_element(By.TAG_NAME, "main").text  # in the downloads table, as text
        assert_clean(driver)
