"""Session fixtures: the real book built once, served on localhost, and a Chromium browser."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import CHROMIUM, CHROMIUM_ARGS, ROOT, jb_build, output_of, serve


@pytest.fixture(scope="session")
def built_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the real book once per test session, strictly; return the HTML folder.

    Developers iterating on HTML tests may point TALKBOOK_BUILT_HTML at an existing build.
    """
    if os.environ.get("TALKBOOK_BUILT_HTML"):
        return Path(os.environ["TALKBOOK_BUILT_HTML"])
    out = tmp_path_factory.mktemp("book")
    result = jb_build(ROOT, out)
    html = out / "_build" / "html"
    if result.returncode != 0 or not (html / "index.html").exists():
        pytest.fail(
            f"the book does not build (exit {result.returncode}):\n{output_of(result)[-6000:]}"
        )
    return html


@pytest.fixture(scope="session")
def served_book(built_book: Path) -> Iterator[str]:
    """The built book on http://127.0.0.1:<free port>; yields the base URL."""
    server, url = serve(built_book)
    yield url
    server.shutdown()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(
            "Chromium is not installed: run `make test` as root or `sudo apt-get install -y chromium`"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture(autouse=True)
def _unfreeze_after_builds() -> Iterator[None]:
    """talkbook.gcpause freezes what an in-process build loaded (the CLI exits right after);
    a test session builds again and again, so it hands those objects back after each test."""
    yield
    import gc

    gc.unfreeze()
