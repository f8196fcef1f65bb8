"""The import in a browser: upload, preview (checked by axe in both themes), apply."""

from __future__ import annotations

from pathlib import Path

from tests.a11y.test_axe import assert_passes_axe_in_both_themes
from tests.browser.test_security_pages import sign_in

from .conftest import csv_bytes


def test_upload_preview_and_apply_without_javascript_problems(
    browser, live_server, operator, make_user, tmp_path: Path
):
    make_user("kept@example.com", password=None)
    path = tmp_path / "people.csv"
    path.write_bytes(csv_bytes("email,name", "browser@example.com,Bea", "broken,X"))
    context = browser.new_context(color_scheme="light", reduced_motion="reduce", bypass_csp=True)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, operator.email, "operator password 1")
        page.goto(live_server.url + "/admin/users/")
        page.click("[data-testid=import-users]")
        page.set_input_files("#file", str(path))
        page.check("#invite")
        page.click("[data-testid=import-check]")
        page.wait_for_selector("[data-testid=import-counts]")
        assert page.text_content("[data-count=created]") == "1"
        assert page.is_checked("#invite")
        assert_passes_axe_in_both_themes(page)
        page.click("[data-testid=import-apply]")
        page.wait_for_selector("[data-testid=job-report]")
        assert "broken" in page.text_content("[data-testid=job-report]")
    finally:
        context.close()
