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
