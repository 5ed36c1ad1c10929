"""Screenshots of the site for the README: docs/screenshots/home.png and docs/screenshots/provenance.png.

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
from tests.browser import chrome  # noqa: E402

# A pledge whose quote sits in the body of the 2017 text, shown as a reader lands on it from the pledges table.
PROVENANCE = ("sources/2017-xi-jinping-astana.html", "#q-pledges-2017-xi-jinping-astana.bright-road-docking")


def main() -> None:
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    out = ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        write_site(ROOT, site)
        driver = chrome(1280, 860)
        try:
            driver.get((site / "index.html").as_uri())
            driver.save_screenshot(str(out / "home.png"))
            driver.get((site / PROVENANCE[0]).as_uri() + PROVENANCE[1])
            try:
                current = WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "a.q.current"))
            except TimeoutException:
                raise SystemExit(f"no highlight for {''.join(PROVENANCE)}: pick a row that exists") from None
            current[0].click()
            driver.save_screenshot(str(out / "provenance.png"))
        finally:
            driver.quit()
    print(f"wrote {out / 'home.png'} and {out / 'provenance.png'}")


if __name__ == "__main__":
    main()
