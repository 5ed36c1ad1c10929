"""Screenshots of the site: the home page, two table pages and a provenance page, in a 1400 × 900 window and on a
390 × 844 phone screen, into docs/screenshots/ (home.png and provenance.png are the README's).

Needs Debian's chromium and chromium-driver and selenium (in the test dependency group). Run from the
repository root: python scripts/screenshots.py. Pixels depend on the installed fonts, so the files are
not expected to be byte-identical across machines; tests/test_browser.py checks the pages themselves.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cnkz.site import write_site  # noqa: E402
from tests.browser import chrome, set_viewport  # noqa: E402

# (window, suffix of the file names): a laptop's window and a phone's screen.
SIZES = (((1400, 900), ""), ((390, 844), "-phone"))
PAGES = (("home", "index.html"), ("pledges", "tables/pledges.html"), ("events", "tables/events.html"))
# A figure whose quote sits inside the quotes of an event and of its participant (highlights of every depth around it),
# near the top of a short text: the page's head, the text and the panel with the rows quoting the passage all show.
PROVENANCE = ("sources/2010-jia-qinglin-astana.html", "#q-figures-2010-jia-qinglin-astana.visit-length")


def main() -> None:
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    out = ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        write_site(ROOT, site)
        driver = chrome()
        try:
            for (width, height), suffix in SIZES:
                set_viewport(driver, width, height)
                for name, path in PAGES:
                    driver.get("about:blank")
                    driver.get((site / path).as_uri())
                    written.append(out / f"{name}{suffix}.png")
                    driver.save_screenshot(str(written[-1]))
                driver.get("about:blank")
                driver.get((site / PROVENANCE[0]).as_uri() + PROVENANCE[1])
                try:
                    current = WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "a.q.current"))
                except TimeoutException:
                    raise SystemExit(f"no highlight for {''.join(PROVENANCE)}: pick a row that exists") from None
                current[-1].click()
                WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#panel li"))
                written.append(out / f"provenance{suffix}.png")
                driver.save_screenshot(str(written[-1]))
        finally:
            driver.quit()
    print("wrote " + ", ".join(str(path.relative_to(ROOT)) for path in written))


if __name__ == "__main__":
    main()
