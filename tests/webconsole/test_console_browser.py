"""The console in a real browser (Playwright driving Debian's chromium) against a real runtime."""

from __future__ import annotations

import re
from typing import Any

import pytest

from ecslocal.tour import http_json
from service.identity.rules import static_keys_shadow_task_role
from tests.webconsole.conftest import ARTIFACTS

UPDATE_MS = 15_000  # the page polls every 2 s; a step that starts a fresh runtime takes longer
STEP_MS = 120_000


def signed_in_page(browser: Any, state: dict[str, Any], width: int = 1280, height: int = 800):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(state["console_url"])
    page.get_by_label("API key").fill(state["api_key"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("#task-id:not(:text('…'))")
    return page


def count(page: Any, cell: str) -> int:
    return int(page.inner_text(cell))


def wait_count(page: Any, cell: str, expected: int) -> None:
    page.wait_for_function(
        "([cell, n]) => document.querySelector(cell).textContent === String(n)",
        arg=[cell, expected],
        timeout=UPDATE_MS,
    )


def test_the_console_shows_the_task_and_both_roles(browser, state):
    page = signed_in_page(browser, state)
    assert page.inner_text("#task-id") == state["task_id"]
    page.wait_for_selector(f"#task-role-arn:text('{state['task_role_arn']}')", timeout=UPDATE_MS)
    assert page.inner_text("#exec-arn") == state["execution_role_arn"]
    assert page.inner_text("#task-health") == "HEALTHY"
    assert "container-role" in page.inner_text("#whoami-source")
    assert page.inner_text("#exec-secrets").startswith("API_KEY")
    assert page.get_by_role("heading", name=re.compile("Execution role")).is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "console-1280x800.png"), full_page=True)
    page.set_viewport_size({"width": 420, "height": 800})  # a narrow window still reads
    assert page.get_by_role("heading", name=re.compile("Task role")).is_visible()
    page.screenshot(path=str(ARTIFACTS / "console-narrow.png"), full_page=True)
    page.context.close()


def test_send_then_confirm_from_the_page_moves_the_counts(browser, state):
    page = signed_in_page(browser, state)
    page.wait_for_function("() => document.querySelector('#pending-visible').textContent !== '…'")
    # Drain what other tests left, so the counts below are this test's own.
    url, key = state["service_url"], state["api_key"]
    while http_json("POST", f"{url}/messages/confirm", key, {"wait": 0})[1].get("confirmed"):
        pass
    wait_count(page, "#pending-visible", 0)
    confirmed_before = count(page, "#confirmed-visible")
    page.get_by_label("Message").fill("sent from the browser test")
    page.get_by_role("button", name="Send to pending").click()
    wait_count(page, "#pending-visible", 1)
    page.get_by_role("button", name=re.compile("^Confirm")).click()
    wait_count(page, "#pending-visible", 0)
    wait_count(page, "#confirmed-visible", confirmed_before + 1)
    page.context.close()


def test_running_the_static_keys_step_shows_the_warning(browser, state):
    page = signed_in_page(browser, state)
    page.get_by_role("button", name="Run step 5").click()
    step = page.locator("#step-5")
    page.wait_for_function(
        "() => document.querySelector('#step-5 .status').textContent.endsWith('as expected')",
        timeout=STEP_MS,
    )
    assert step.locator(".status").inner_text() == "allowed/denied as expected"
    assert static_keys_shadow_task_role.code in step.locator("pre").inner_text()
    page.context.close()


def test_whoami_opens_as_html_in_the_browser(browser, state):
    context = browser.new_context(extra_http_headers={"X-Api-Key": state["api_key"]})
    page = context.new_page()
    response = page.goto(f"{state['service_url']}/whoami")
    assert response.headers["content-type"].startswith("text/html")
    assert page.get_by_role("heading", name="Who this service runs as").is_visible()
    assert state["task_id"] in page.inner_text("table")
    context.close()


@pytest.mark.parametrize("width", [1280, 420])
def test_every_control_has_a_label_and_can_take_focus(browser, state, width):
    page = signed_in_page(browser, state, width=width)
    unlabeled = page.evaluate(
        """() => [...document.querySelectorAll('input, select')]
              .filter(e => !e.labels || e.labels.length === 0).map(e => e.id)"""
    )
    assert unlabeled == []
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.tagName") in ("INPUT", "BUTTON", "SELECT", "PRE")
    page.context.close()
