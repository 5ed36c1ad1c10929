"""The site in a real browser (Debian's headless Chromium): home → a table → filter → a row → its quote, and back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cnkz.site import write_site
from cnkz.tables import TABLES, TABLES_BY_NAME

from .browser import CHROMEDRIVER, CHROMIUM, chrome, console_errors, requested_urls, require_tools
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
    assert driver.find_element(By.ID, "current").text == f"Showing the quote of pledges {row['pledge_id']}."
    # The highlight is in view: the page scrolled to it.
    assert driver.execute_script("const r = arguments[0].getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight", marks[0])

    marks[0].click()
    panel = driver.find_element(By.ID, "panel")
    wait(driver, lambda d: panel.is_displayed())
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
            wait(driver, lambda d: d.find_element(By.ID, "current").text == f"Showing the quote of {table.name} {key}.")  # noqa: B023
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
