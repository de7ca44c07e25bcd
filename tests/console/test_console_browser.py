"""Headless Chromium (Debian's chromium + chromium-driver) driven by Selenium: sign in,
filter, open a transcript, take a screenshot (reports/console.png)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.console.conftest import NO_BROWSER, PASSWORD
from tests.console.server import ThreadServer

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(NO_BROWSER, reason="chromium/chromedriver not installed "
                       "(run scripts/install-browser.sh)"),
]


def test_sign_in_filter_open_transcript_screenshot(settings, refs, driver):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import Select, WebDriverWait

    wait = WebDriverWait(driver, 20)

    server = ThreadServer(settings).start()
    try:
        driver.get(server.url + "/conversations")
        assert driver.current_url.endswith("/login")
        driver.find_element(By.ID, "username").send_keys("viewer")
        driver.find_element(By.ID, "password").send_keys(PASSWORD)
        driver.find_element(By.ID, "login").click()
        wait.until(EC.url_contains("/conversations"))
        rows = driver.find_elements(By.CSS_SELECTOR, "#conversation-list a.conv")
        assert len(rows) == 3
        Select(driver.find_element(By.ID, "f-language")).select_by_value("fr")
        driver.find_element(By.ID, "q").send_keys("photographe")
        driver.find_element(By.ID, "apply").click()
        wait.until(EC.url_contains("q=photographe"))
        links = driver.find_elements(By.CSS_SELECTOR, "#conversation-list a.conv")
        assert [a.text for a in links] == ["1001"]
        links[0].click()
        wait.until(EC.presence_of_element_located((By.ID, "conversation-id")))
        assert driver.find_element(By.ID, "conversation-id").text == "1001"
        body = driver.find_element(By.TAG_NAME, "body").text
        assert "<script>alert('x')</script> voilà" in body  # shown as text, not run
        assert driver.execute_script("return document.querySelectorAll('img.thumb').length") >= 1
        out = ROOT / "reports" / "console.png"
        out.parent.mkdir(exist_ok=True)
        assert driver.save_screenshot(str(out))
        assert out.stat().st_size > 1000
    finally:
        server.stop()
