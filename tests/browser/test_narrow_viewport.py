"""At 390 px (a phone held upright) no page scrolls sideways: a wide table scrolls inside its
card, long labels wrap. Each persona walks every page it can reach by links, once per route and
program (a program's data changes what its pages show: a kick-off still open has a form), and
the document may not be wider than the viewport."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from django.core.management import call_command
from django.urls import Resolver404, resolve
from playwright.sync_api import Browser, Page

from tests.browser.conftest import sign_in

WIDTH, HEIGHT = 390, 844
DEMO_PASSWORD = "portal-demo"
# A CDMO PM (every program, the forms), CDMO QA (the triage queue), a sponsor lead (API
# tokens) and the superuser (no membership). Leadership, a sponsor viewer and the second sponsor
# see subsets of these pages.
PERSONAS = [
    "pm@northbridge.example",
    "qa@northbridge.example",
    "sponsor@helix.example",
    "admin@northbridge.example",
]
# Not pages of the portal (the admin has its own look), or not pages at all.
# Streams, downloads and links that act: not pages to lay out.
SKIPPED_ROUTES = {
    "logout",
    "events",
    "calendar-feed",
    "meeting-invite",
    "notification-open",
    "program-export",
    "job-download",
}
SKIPPED_PREFIXES = ("/admin/", "/api/", "/static/")
PAGES_PER_PERSONA = 80

WIDEST_ELEMENTS = """() => {
  const limit = document.documentElement.clientWidth + 1;
  return [...document.querySelectorAll("body *")]
    .filter((el) => el.getBoundingClientRect().right > limit)
    .slice(-3)
    .map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join(".")}`);
}"""


def page_kind(path: str) -> tuple[str, str] | None:
    """The route and the program of a path: pages of one kind look alike otherwise."""
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return None
    if match.url_name in SKIPPED_ROUTES:
        return None
    return match.url_name or "", match.kwargs.get("code", "")


def links_on(page: Page, base_url: str) -> list[str]:
    paths = []
    for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
        url = urlsplit(urljoin(page.url, href))
        if f"{url.scheme}://{url.netloc}" == base_url and not url.path.startswith(SKIPPED_PREFIXES):
            paths.append(f"{url.path}?{url.query}" if url.query else url.path)
    return paths


def overflowing_pages(page: Page, base_url: str) -> tuple[set[str], list[str]]:
    """Walk from the home page, one page of each kind; the routes seen and the pages too wide."""
    queue, kinds, problems = ["/"], set(), []
    while queue and len(kinds) < PAGES_PER_PERSONA:
        path = queue.pop(0)
        kind = page_kind(path)
        if kind is None or kind in kinds:
            continue
        kinds.add(kind)
        response = page.goto(base_url + path)
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            continue
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > WIDTH + 1:
            problems.append(f"{path} is {width} px wide: {page.evaluate(WIDEST_ELEMENTS)}")
        queue.extend(links_on(page, base_url))
    return {route for route, _ in kinds}, problems


def test_no_page_scrolls_sideways_at_390_px_for_any_persona(browser: Browser, portal_url):
    call_command("seed_demo", verbosity=0)
    problems, routes = [], set()
    for email in PERSONAS:
        context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
        page = context.new_page()
        sign_in(page, portal_url, email, DEMO_PASSWORD)
        seen, too_wide = overflowing_pages(page, portal_url)
        routes |= seen
        problems += [f"{email}: {problem}" for problem in too_wide]
        context.close()
    # The walk reached the pages that matter, so a broken link cannot make it pass.
    assert {
        "workspace",
        "program-list",
        "program-detail",
        "program-timeline",
        "program-costs",
        "action-list",
        "meeting-detail",
        "deviation-detail",
        "token-list",
    } <= routes
    assert problems == [], "\n".join(problems)
