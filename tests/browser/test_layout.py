"""Every page fits at 1280, 1024 and 390 px, light and dark: nothing scrolls sideways but a
table inside its own scroll region, no element is wider than its container, and navigation,
buttons and dates in lists stay on one line.

The pages are the ones the axe crawl discovers (tests/a11y/test_axe.py): one of each type,
checked in one browser page that is resized and re-themed in place, within the crawl's bound
on visits.
"""

from __future__ import annotations

import pytest

from tests.a11y.test_axe import Crawl, crawl_console, page_type, set_theme

pytestmark = pytest.mark.browser

WIDTHS = (1280, 1024, 390)
THEMES = ("light", "dark")
HEIGHT = 900
FAILURES_SHOWN = 8

# Problems on the page as it is laid out now, as sentences; an empty list when it fits.
OVERFLOW = """() => {
  const doc = document.documentElement;
  const width = doc.clientWidth;
  const found = [];
  const name = (el) => {
    let text = el.tagName.toLowerCase();
    if (el.id) text += "#" + el.id;
    if (el.classList.length) text += "." + [...el.classList].slice(0, 3).join(".");
    return text + " «" + (el.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 40) + "»";
  };
  if (doc.scrollWidth > width + 1) {
    found.push(`the document scrolls sideways: ${doc.scrollWidth} > ${width}`);
  }
  // Declared scroll regions may hold wider content, and so may text cut with an ellipsis on
  // purpose; what is positioned out of the flow (menus, visually hidden text) is not laid out
  // by its container.
  const exempt = (el) => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (up.matches(".table-responsive, [data-scroll-region]")) return true;
      const style = getComputedStyle(up);
      if (style.position === "absolute" || style.position === "fixed") return true;
      if (style.textOverflow === "ellipsis" && style.overflowX !== "visible") return true;
    }
    return false;
  };
  for (const el of document.body.querySelectorAll("*")) {
    if (el.closest("svg") && el.tagName.toLowerCase() !== "svg") continue;
    const style = getComputedStyle(el);
    if (style.position === "absolute" || style.position === "fixed") continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    if (el.matches(".table-responsive, [data-scroll-region]") || exempt(el)) continue;
    if (box.right > width + 1 || box.left < -1) {
      const span = `${Math.round(box.left)}..${Math.round(box.right)}`;
      found.push(`${name(el)} reaches ${span} of ${width}`);
      continue;
    }
    const parent = el.parentElement;
    if (!parent || parent === doc) continue;
    const outer = parent.getBoundingClientRect();
    // Bootstrap's rows reach into their container's padding with a negative margin.
    const left = Math.max(0, -parseFloat(style.marginLeft) || 0);
    const right = Math.max(0, -parseFloat(style.marginRight) || 0);
    if (box.right > outer.right + right + 1 || box.left < outer.left - left - 1) {
      const sizes = [Math.round(box.width), Math.round(outer.width)];
      found.push(`${name(el)} (${sizes[0]}px) overflows ${name(parent)} (${sizes[1]}px)`);
    }
  }
  // Navigation, buttons of the bars and dates in tables stay on one line.
  const single = [
    "header .btn", "header .nav-link", "header summary", ".navbar-brand",
    ".console-sidenav .nav-link", ".console-sidenav summary", ".bulk-bar .btn",
    ".filter-panel > summary", "main table time",
  ].join(", ");
  for (const el of document.querySelectorAll(single)) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    const range = document.createRange();
    range.selectNodeContents(el);
    const tops = [...range.getClientRects()].filter((r) => r.width > 0).map((r) => r.top);
    const style = getComputedStyle(el);
    const line = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.5;
    if (tops.length && Math.max(...tops) - Math.min(...tops) > line * 0.75) {
      found.push(`${name(el)} wraps onto a second line`);
    }
  }
  return found;
}"""


class FitCrawl(Crawl):
    """The axe crawl's discovery, checking each new page type's layout instead of axe."""

    def check(self, page, url: str) -> None:
        self.checked[page_type(page.url)] = url
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": HEIGHT})
            for theme in THEMES:
                set_theme(page, theme)
                if found := page.evaluate(OVERFLOW):
                    shown = "\n  ".join(found[:FAILURES_SHOWN])
                    self.failures[f"{url} at {width}px, {theme}"] = shown
        page.set_viewport_size({"width": WIDTHS[0], "height": HEIGHT})
        set_theme(page, "light")


def test_every_page_fits_at_every_width_in_both_themes(browser, live_server, operator, make_user):
    crawl = FitCrawl(live_server.url)
    crawl_console(browser, live_server.url, operator, make_user, crawl)
    assert len(crawl.checked) >= 40, sorted(crawl.checked)
    assert not crawl.failures, "\n".join(
        f"{url}:\n  {text}" for url, text in crawl.failures.items()
    )
