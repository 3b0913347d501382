"""Real-browser fixtures: Debian's Chromium driven by Playwright against pytest-django's live server.

Every step of a journey is saved as a full-page screenshot under ``test-artifacts/e2e/<test name>/``; a failing
test also leaves ``99-failure.png`` there, showing the page as it was when the test failed.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Locator, Page, expect, sync_playwright

from processes.models import User

from ..factories import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "e2e"
TIMEOUT_MS = 15_000

Shot = Callable[[str], Path]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Remember each phase's report on the item so that the page fixture can tell whether the test failed."""
    report = yield
    setattr(item, f"e2e_report_{report.when}", report)
    return report


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per module (it takes about a second to start); each test gets a fresh context."""
    if not CHROMIUM.is_file():
        pytest.skip(
            f"the end-to-end tests need Debian's chromium at {CHROMIUM} (apt-get install chromium); "
            "Playwright's own browser download is not used"
        )
    # Playwright's sync API keeps an asyncio loop running in the test thread, which makes Django's ORM refuse to
    # run there ("You cannot call this from an async context") although the tests query it synchronously. The
    # variable is set only while the browser lives: set for the whole session it would leak into the other tests
    # (``manage.py check --deploy`` in tests/test_settings.py warns about it and fails).
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                yield browser
            finally:
                browser.close()
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


def csp_violations(context: BrowserContext) -> list[str]:
    """Chromium reports each resource or inline code the Content-Security-Policy blocked on the console; the list
    fills as the context's pages run."""
    found: list[str] = []

    def seen(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            found.append(f"{message.page.url if message.page else ''}: {message.text}")

    context.on("console", seen)
    return found


def fail_on_csp_violations(found: list[str], request: pytest.FixtureRequest) -> None:
    report = getattr(request.node, "e2e_report_call", None)
    if found and (report is None or report.passed):
        pytest.fail("the Content-Security-Policy blocked something on the pages:\n" + "\n".join(found))


@pytest.fixture
def artifacts_dir(request: pytest.FixtureRequest) -> Path:
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)  # no screenshot left over from an earlier run
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def page(
    browser: Browser, live_server: Any, transactional_db: None, artifacts_dir: Path, request: pytest.FixtureRequest
) -> Iterator[Page]:
    """A fresh browser context (no cookies), in Chinese, on the live server (which needs committed data)."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900}, base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    violations = csp_violations(context)
    page = context.new_page()
    try:
        yield page
    finally:
        report = getattr(request.node, "e2e_report_call", None)
        if report is not None and report.failed:
            with contextlib.suppress(Exception):  # the test's own failure is what the report must show
                page.screenshot(path=artifacts_dir / "99-failure.png", full_page=True)
        context.close()
    fail_on_csp_violations(violations, request)


@pytest.fixture
def shot(page: Page, artifacts_dir: Path) -> Shot:
    """``shot("login")`` saves ``NN-login.png``, NN counting the steps of the test."""
    steps = 0

    def take(step: str) -> Path:
        nonlocal steps
        steps += 1
        path = artifacts_dir / f"{steps:02d}-{step}.png"
        page.screenshot(path=path, full_page=True)
        return path

    return take


def log_in(page: Page, user: User, shot: Shot) -> None:
    """Log in through the login page as a person does, and wait to land past it."""
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill(user.username)
    page.locator("input[name=password]").fill(PASSWORD)
    shot("login")
    page.locator("form button[type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    expect(page.locator("[data-testid=current-user]")).to_contain_text(str(user))


Person = Callable[[User, str], tuple[Page, Shot]]


def shot_of(shot: Shot, other: Page, person: str) -> Shot:
    """A ``Shot`` of another person's page: numbered in the same sequence as the test's other steps."""

    def take(step: str) -> Path:
        path = shot(f"{person}-{step}")  # takes the step's number (and a picture of the main page) …
        other.screenshot(path=path, full_page=True)  # … which this person's page then replaces
        return path

    return take


@pytest.fixture
def person(
    browser: Browser, live_server: Any, page: Page, shot: Shot, artifacts_dir: Path, request: pytest.FixtureRequest
) -> Iterator[Person]:
    """``person(user, "reporter")``: a second browser context like ``page``'s, logged in as ``user``."""
    opened: list[tuple[str, Page]] = []
    violations: list[list[str]] = []

    def open_as(user: User, name: str) -> tuple[Page, Shot]:
        context = browser.new_context(
            locale="zh-CN", viewport=page.viewport_size or {"width": 1400, "height": 900}, base_url=live_server.url
        )
        context.set_default_timeout(TIMEOUT_MS)
        violations.append(csp_violations(context))
        other = context.new_page()
        opened.append((name, other))
        other_shot = shot_of(shot, other, name)
        log_in(other, user, other_shot)
        return other, other_shot

    try:
        yield open_as
    finally:
        report = getattr(request.node, "e2e_report_call", None)
        for name, other in opened:
            if report is not None and report.failed:
                with contextlib.suppress(Exception):  # the test's own failure is what the report must show
                    other.screenshot(path=artifacts_dir / f"99-failure-{name}.png", full_page=True)
            other.context.close()
        fail_on_csp_violations([found for each in violations for found in each], request)


def prefixed(shot: Shot, person: str) -> Shot:
    return lambda step: shot(f"{person}-{step}")


def open_notifications(page: Page) -> Locator:
    """The bell in the top bar, as a person reaches the messages from any page."""
    page.locator('[data-testid="notifications-link"]').click()
    page.wait_for_url("**/notifications/")
    return page.locator('[data-testid="notifications"] li[data-message]')


def open_my_todo(page: Page) -> None:
    """我的待办 through the side menu, as a person reaches it from any page."""
    page.locator('.vf-page__menu-primary a[href="/plans/work/"]').click()
    page.wait_for_url("**/plans/work/")
