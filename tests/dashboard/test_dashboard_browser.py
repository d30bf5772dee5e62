"""The dashboard in a real browser (Debian's chromium and chromium-driver, driven by selenium): every
page loaded from a real `platform dashboard` process over a ledger a mock rollout wrote, the DOM
checked, a live update after a run in another process, screenshots at 375 px and 1440 px saved as
test artifacts (test-artifacts/dashboard/, or $TENANTWAVE_ARTIFACTS).

Without a browser these tests are skipped, visibly; under CI (CI=true) they fail instead: .ci/run
installs chromium and chromium-driver.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from support.fleet import copy_example, link_program

pytestmark = [pytest.mark.integration, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]
PLATFORM = str(Path(sys.executable).with_name("platform"))
ARTIFACTS = Path(os.environ.get("TENANTWAVE_ARTIFACTS") or ROOT / "test-artifacts") / "dashboard"
WIDTHS = (375, 1440)
FAILING = "staging.silo.helios-bank"
CHROMIUM = ("chromium", "chromium-browser", "google-chrome")


def _browser_binaries() -> tuple[str, str] | str:
    """(browser, driver), or why they cannot be used."""
    browser = next((found for name in CHROMIUM if (found := shutil.which(name))), None)
    driver = shutil.which("chromedriver")
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    if browser is None or driver is None:
        return "no chromium and chromedriver on this machine (apt-get install chromium chromium-driver)"
    return browser, driver


@pytest.fixture(scope="module")
def binaries() -> tuple[str, str]:
    found = _browser_binaries()
    if isinstance(found, str):
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(f"the browser tests must run under CI: {found}")
        pytest.skip(f"browser tests skipped: {found}")
    return found


@dataclass(frozen=True)
class Served:
    root: Path
    ledger: str
    base: str
    env: dict[str, str]


def _platform(root: Path, env: dict[str, str], *args: str, ok: tuple[int, ...] = (0,)) -> None:
    done = subprocess.run([PLATFORM, *args], cwd=root, env=env, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode in ok, done.stdout + done.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def served(binaries: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The example fleet after a mock rollout of waves 1 to 4 of 1.4.0, one failed stack (wave 5,
    scripted) and an approval of wave 7, served by `platform dashboard` in its own process."""
    root = link_program(copy_example(tmp_path_factory.mktemp("browser") / "fleet"))
    ledger = f"sqlite:///{root / '.platform' / 'ledger.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PLATFORM_", "TENANTWAVE_TEST"))}
    env |= {"PLATFORM_ACTOR": "ops-alice", "PLATFORM_LEDGER_URL": ledger,
            "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), env.get("PYTHONPATH", "")])}
    for wave in ("1", "2", "3", "4"):
        _platform(root, env, "--engine", "mock", "up", "--release", "1.4.0", "--wave", wave, "--yes")
    script = root / "script.json"
    script.write_text(json.dumps({"stacks": {FAILING: {"outcome": "failed", "error": "Error: <i>quota</i> exceeded"}}}))
    _platform(root, {**env, "TENANTWAVE_TEST_SCRIPT": str(script)}, "--engine", "support.testengine:create",
              "up", "--release", "1.4.0", "--wave", "5", "--yes", ok=(1,))
    _platform(root, env, "approve", "--release", "1.4.0", "--wave", "7", "--by", "ops-alice", "--comment",
              "CHG-42 <b>ok</b>")
    port = _free_port()
    server = subprocess.Popen([PLATFORM, "dashboard", "--port", str(port), "--poll", "1"], cwd=root, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/api/changes", timeout=5).read()
            break
        except OSError:
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            assert time.monotonic() < deadline, "the dashboard did not start"
            time.sleep(0.2)
    yield Served(root, ledger, base, env)
    server.terminate()
    server.wait(timeout=30)


@pytest.fixture(scope="module")
def driver(binaries: tuple[str, str]) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binaries[0]
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--hide-scrollbars", "--force-device-scale-factor=1"):
        options.add_argument(argument)
    browser = webdriver.Chrome(service=Service(binaries[1]), options=options)
    browser.set_page_load_timeout(60)
    yield browser
    browser.quit()


def shoot(driver: Any, name: str) -> list[Path]:
    """Screenshots of the current page at each width (the whole page's height); their paths. At each
    width the page itself never scrolls sideways (only a wide table, inside its own frame)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    saved = []
    for width in WIDTHS:
        driver.set_window_size(width, 900)
        inner, scrolled = driver.execute_script(
            "return [window.innerWidth, document.documentElement.scrollWidth]")
        assert scrolled <= inner, f"{name} at {width} px: the page is {scrolled} px wide"
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(width, min(max(900, height), 4000))
        path = ARTIFACTS / f"{name}-{width}.png"
        assert driver.save_screenshot(str(path)), path
        saved.append(path)
    driver.set_window_size(1440, 900)
    return saved


def cells(driver: Any) -> dict[str, tuple[str, str]]:
    """stack -> (state attribute, the word shown) of every fleet cell on the page."""
    found = driver.execute_script(
        "return Array.from(document.querySelectorAll('td[data-cell]')).map(td => "
        "[td.dataset.stack, td.dataset.state, td.querySelector('.word').textContent.trim()])"
    )
    return {stack: (state, word) for stack, state, word in found}


def read(driver: Any, css: str, what: str = "textContent") -> list[str]:
    """`what` (a property, or `data-...`/`scope` attribute) of every element matching `css`, read in one
    script: atomic, so a live update swapping the page meanwhile cannot leave stale references."""
    getter = f"e.getAttribute({what!r})" if what.startswith("data-") or what == "scope" else f"e.{what}"
    return list(driver.execute_script(
        f"return Array.from(document.querySelectorAll({css!r})).map(e => {getter})"))


def follow(driver: Any, css: str, expected: str) -> None:
    """Click the element `css` and wait until the browser shows the page whose URL contains `expected`."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.find_element(By.CSS_SELECTOR, css).click()
    WebDriverWait(driver, 30, poll_frequency=0.2).until(
        lambda d: expected in d.current_url and d.execute_script("return document.readyState") == "complete"
    )


def test_the_fleet_page(served: Served, driver: Any) -> None:
    driver.get(served.base + "/")
    assert len(read(driver, "tr[data-row='tenant'] td[data-cell]", "data-stack")) == 16  # tenants x their envs
    assert len(read(driver, "tr[data-row='pool']", "data-key")) == 2  # once per pool tier
    shown = cells(driver)
    assert shown["testing.pool.basic"] == ("succeeded", "succeeded")
    assert shown[FAILING] == ("failed", "failed")
    assert shown["production-us.silo.helios-bank"] == ("blocked", "blocked")
    assert all(state == word for state, word in shown.values())  # every colour has its word
    assert set(read(driver, "table.fleet th", "scope")) == {"col", "row", "rowgroup"}
    for width, path in zip(WIDTHS, shoot(driver, "fleet"), strict=True):
        assert path.stat().st_size > 10_000, f"the {width} px screenshot is empty"


def test_filtering_and_opening_a_stack(served: Served, driver: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver.get(served.base + "/")
    Select(driver.find_element(By.ID, "f-state")).select_by_value("failed")
    follow(driver, "form.filters button", "state=failed")
    assert read(driver, "tbody tr[data-key]", "data-key") == ["helios-bank"]
    follow(driver, f"td[data-stack='{FAILING}'] a", "/stacks/")
    assert read(driver, "h1") == [f"Stack {FAILING}"]
    reasons = read(driver, "#reasons")[0]
    assert "Error: <i>quota</i> exceeded" in reasons  # outside text shown as text, never as markup
    assert read(driver, "#reasons i") == []
    shoot(driver, "stack-failed")
    driver.get(served.base + "/stacks/production-us.silo.helios-bank")
    assert "helios-bank has not deployed 1.4.0 to staging" in read(driver, "#reasons")[0]
    shoot(driver, "stack-blocked")


def test_the_release_and_runs_pages(served: Served, driver: Any) -> None:
    driver.get(served.base + "/release")
    assert read(driver, "section.wave", "data-wave") == [str(n) for n in range(1, 11)]
    gates = dict(zip(read(driver, "section.wave", "data-wave"), read(driver, "section.wave", "data-gate"),
                     strict=True))
    assert gates["1"] == "open" and gates["6"] == "closed"
    assert "wave 5 has 1 failed stack (staging.silo.helios-bank)" in read(driver, "#wave-6")[0]
    approvals = read(driver, "#wave-7 table.approvals tbody td")
    assert approvals[0] == "ops-alice" and approvals[2] == "CHG-42 <b>ok</b>" and len(approvals) == 4
    assert approvals[1].startswith("20")  # when, as a date and time
    assert "approval: none recorded yet" in read(driver, "#wave-8")[0]
    shoot(driver, "release")
    driver.get(served.base + "/runs")
    statuses = read(driver, "#runs tbody tr", "data-status")
    assert len(statuses) == 5 and statuses[0] == "failed"
    shoot(driver, "runs")
    follow(driver, "#runs tbody tr:first-child th a", "/runs/")
    assert FAILING in read(driver, "#run-stacks")[0]
    shoot(driver, "run")


def test_a_run_in_another_process_shows_without_a_reload(served: Served, driver: Any) -> None:
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(served.base + "/?q=juniper")
    assert cells(driver)["staging.silo.juniper-retail"][0] == "blocked"  # wave 6's gate: wave 5 failed
    driver.execute_script("window.notReloaded = true")
    _platform(served.root, served.env, "--engine", "mock", "up", "--release", "1.4.0", "--stack",
              "staging.silo.juniper-retail", "--yes")
    try:  # the refresh notices the run within a second; a loaded machine may take a while to rebuild
        WebDriverWait(driver, 90, poll_frequency=0.5).until(
            lambda d: cells(d).get("staging.silo.juniper-retail", ("",))[0] == "succeeded"
        )
    except TimeoutException:
        server = urllib.request.urlopen(served.base + "/api/changes", timeout=10).read().decode()
        pytest.fail(f"no live update: cell {cells(driver).get('staging.silo.juniper-retail')}, "
                    f"live region {read(driver, '#live')}, page marker {read(driver, 'body', 'data-marker')}, "
                    f"dashboard {server}")
    assert driver.execute_script("return window.notReloaded === true")  # the page updated in place
    assert "updated at" in read(driver, "#live")[0]
    shoot(driver, "fleet-live-update")


def test_the_static_report_opens_from_a_file_and_fetches_nothing(served: Served, driver: Any) -> None:
    target = served.root / "site" / "report.html"
    _platform(served.root, served.env, "report", "--html", str(target))
    driver.get(target.as_uri())
    assert driver.execute_script("return performance.getEntriesByType('resource').length") == 0
    assert len(read(driver, "td[data-cell]", "data-stack")) == 24  # 16 tenant cells, 8 pool cells
    assert len(read(driver, "section.wave", "data-wave")) == 10
    assert read(driver, "script") == []
    shoot(driver, "report")


def test_a_page_that_answers_4xx_on_refetch_is_not_fetched_again_every_poll(served: Served, driver: Any) -> None:
    """The marker moved but the page's own URL now answers 404 (its stack left the configuration):
    the page says so once and waits for the next change instead of refetching on every poll."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(served.base + "/runs")
    driver.execute_script("""
        window.counts = {changes: 0, page: 0};
        var real = window.fetch;
        window.fetch = function (url, options) {
          if (String(url).indexOf("api/changes") >= 0) {
            window.counts.changes += 1;
            return Promise.resolve(new Response(JSON.stringify({marker: "moved", release: null}),
                                                {headers: {"Content-Type": "application/json"}}));
          }
          window.counts.page += 1;
          return Promise.resolve(new Response("no such stack", {status: 404}));
        };
    """)
    WebDriverWait(driver, 30, poll_frequency=0.2).until(lambda d: d.execute_script("return window.counts.changes") >= 4)
    assert driver.execute_script("return window.counts.page") == 1
    assert "no longer" in driver.find_element("id", "live").text
