"""``folkabc serve`` driven in real headless Chromium (selenium + chromedriver): generate a tune,
see its notation, put a wrong bar in the editor and see the finding marked, save the tune, reload
the page and open it from the tunebook, measure its novelty, play it with no console error, and
take a screenshot (set FOLKABC_SCREENSHOT=path to keep it, e.g. docs/img/serve.png)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from conftest import require_tool

pytestmark = pytest.mark.external

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--autoplay-policy=no-user-gesture-required", "--window-size=1400,1050"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from folkabc.corpus import build_corpus

    root = tmp_path_factory.mktemp("served")
    build_corpus(["music21:miscFolk"], root / "misc", quiet=True)
    env = dict(os.environ, FOLKABC_HOME=str(root / "home"), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "folkabc", "serve", "--port", "0", "--corpus", str(root / "misc")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    line = proc.stdout.readline()
    m = re.match(r"folkabc serve: (http://127\.0\.0\.1:\d+/)", line)
    assert m, (line, proc.stderr.read() if proc.poll() is not None else "")
    yield m.group(1)
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:  # pragma: no cover - a hung server: stop it, then fail
        proc.kill()
        proc.wait(timeout=30)
        pytest.fail("the server did not stop within 30 s of SIGTERM")


@pytest.fixture()
def browser(tmp_path):
    chromium = require_tool("chromium")
    driver_path = require_tool("chromedriver")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'profile'}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_script_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def _severe(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def test_compose_check_save_reload_play(server, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import Select, WebDriverWait

    wait = WebDriverWait(browser, 180)
    find = browser.find_element
    browser.get(server)
    wait.until(lambda d: len(Select(find(By.ID, "meter")).options) > 1)
    Select(find(By.ID, "meter")).select_by_value("6/8")
    Select(find(By.ID, "mode")).select_by_value("Cdor")
    find(By.ID, "seed").send_keys("3")
    find(By.ID, "generate").click()

    # generated: ABC in the editor, notation on the page, bar check clean
    wait.until(EC.text_to_be_present_in_element((By.ID, "generate-status"), "seed 3"))
    wait.until(lambda d: d.execute_script("return window.folkabcApp.busy === 0 && !!window.folkabcApp.check"))
    editor = find(By.ID, "editor")
    abc = editor.get_attribute("value")
    assert abc.startswith("X:1\nT:folkabc 3\nM:6/8")
    n_measures = len(browser.find_elements(By.CSS_SELECTOR, "#score svg g.measure"))
    assert n_measures > 8
    assert browser.find_elements(By.CSS_SELECTOR, "#score g.measure.finding") == []
    assert "every bar is complete" in find(By.ID, "check-status").text

    # type a note into the third bar line's bar: the check's finding appears, marked on the notation
    body = abc.index("\n", abc.index("K:")) + 1
    at = [m.start() for m in re.finditer(r"\|", abc[body:])][2] + body
    browser.execute_script("arguments[0].focus(); arguments[0].setSelectionRange(arguments[1], arguments[1]);",
                           editor, at)
    editor.send_keys(" c2 ")
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#findings li.error"))
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#score g.measure.finding"))
    finding = find(By.CSS_SELECTOR, "#findings li.error").text
    assert re.match(r"bar \d+ \(part [AB]\) is long", finding), finding
    marked = browser.execute_script(
        "return Array.prototype.indexOf.call(document.querySelectorAll('#score g.measure'),"
        " document.querySelector('#score g.measure.finding'))")
    assert marked == browser.execute_script(
        "return window.folkabcApp.check.findings.filter(function (f) { return f.error; })[0].measure")

    # save with a note, reload, find it in the tunebook and open it
    find(By.ID, "notes").send_keys("a long bar on purpose")
    find(By.ID, "save").click()
    wait.until(EC.text_to_be_present_in_element((By.ID, "save-status"), "saved: folkabc 3"))
    browser.refresh()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#tunebook li.saved"))
    saved = find(By.CSS_SELECTOR, "#tunebook li.saved")
    assert "folkabc 3" in saved.text and "a long bar on purpose" in saved.text
    saved.find_element(By.CSS_SELECTOR, "button.link").click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#score g.measure.finding"))
    assert " c2 " in find(By.ID, "editor").get_attribute("value")

    # novelty against the corpus: the longest shared figure is shown and its bars marked
    find(By.ID, "novelty-btn").click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#novelty p.longest"))
    assert browser.find_elements(By.CSS_SELECTOR, "#score g.measure.shared")

    # play: every note scheduled on a running audio clock, no console error
    find(By.ID, "play-btn").click()
    wait.until(lambda d: d.execute_script("return window.folkabcPlayer.state") == "playing")
    player = browser.execute_script("var p = window.folkabcPlayer; return {scheduled: p.scheduled, audio: p.audio};")
    notes = browser.execute_script("return window.folkabcApp.render.notes.length")
    assert player["scheduled"] == notes > 50
    assert player["audio"] in ("running", "suspended")
    assert browser.execute_script("return window.folkabcErrors") == []
    assert _severe(browser) == []

    shot = tmp_path / "serve.png"
    assert browser.save_screenshot(str(shot))
    from PIL import Image

    img = Image.open(shot).convert("L")
    dark = sum(img.histogram()[:128]) / (img.size[0] * img.size[1])
    assert 0.005 < dark < 0.5  # notation and panels drawn, not a blank page
    keep = os.environ.get("FOLKABC_SCREENSHOT")
    if keep:
        shutil.copy(shot, keep)
    find(By.ID, "play-btn").click()  # stop
