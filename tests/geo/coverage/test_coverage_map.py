"""The HTML map in headless Chromium: toggles change the pixels where they should, labels
do not collide, a quartiere's figures show, it prints on one page, and no request leaves
the file (Chromium's proxy is a local listener that must never be called)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from netagent.geo.coverage import CoverageConfig, engine_for, result_of
from netagent.geo.report import fmt, render
from tests.fixtures.ports import free_port
from tests.geo.coverage.test_coverage_report import STATES, _world
from tests.png_pixels import read_png

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
    pytest.mark.skipif(os.geteuid() != 0, reason="the headless chromium flags used need root"),
]


# Chromium's own services: it calls them (update checks, clock) whatever the page, even
# with --disable-background-networking; through the proxy they reach only 127.0.0.1.
CHROMIUM_OWN = (".google.com", ".googleapis.com", ".gvt1.com")


class _Listener:
    """Chromium's proxy: a listener on 127.0.0.1 noting which host each request is for.

    It answers nothing, so nothing leaves the machine; every request Chromium makes,
    the page's or its own, arrives here."""

    def __init__(self) -> None:
        self.port = free_port()
        self.sock = socket.create_server(("127.0.0.1", self.port))
        self.sock.settimeout(0.2)
        self.hosts: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            conn.settimeout(2)
            try:
                line = conn.recv(4096).split(b"\r\n")[0].decode("latin-1")
            except OSError:
                line = ""
            conn.close()
            # "CONNECT host:443 HTTP/1.1" or "GET http://host/path HTTP/1.1"
            target = line.split(" ")[1] if " " in line else line
            self.hosts.append(re.sub(r"^\w+://", "", target).split("/")[0].split(":")[0])

    def page_requests(self) -> list[str]:
        return [h for h in self.hosts if not h.endswith(CHROMIUM_OWN)]

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture(scope="module")
def proxy() -> Iterator[_Listener]:
    lst = _Listener()
    yield lst
    lst.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory, proxy: _Listener) -> Callable[..., Any]:
    """run(file, fragment, what) -> screenshot pixels, the self-test JSON, or a PDF."""
    tmp = tmp_path_factory.mktemp("chromium")
    n = iter(range(1000))

    def run(page: Path, fragment: str, what: str = "shot") -> Any:
        i = next(n)
        base = [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={tmp / f'profile-{i}'}",
            f"--proxy-server=http://127.0.0.1:{proxy.port}",
            "--proxy-bypass-list=<-loopback>",
            "--window-size=1400,1000",
        ]
        url = page.as_uri() + "#" + fragment
        if what == "dom":
            out = subprocess.run(
                [*base, "--dump-dom", url], capture_output=True, text=True, timeout=120, check=True
            ).stdout
            m = re.search(r'<pre id="selftest">(.*?)</pre>', out, re.S)
            assert m and m.group(1), "the page's script did not run"
            return json.loads(
                m.group(1)
                .replace("&amp;", "&")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", '"')
            )
        target = tmp / f"{i}.{'pdf' if what == 'pdf' else 'png'}"
        flag = f"--print-to-pdf={target}" if what == "pdf" else f"--screenshot={target}"
        subprocess.run(
            [*base, "--no-pdf-header-footer", flag, url],
            capture_output=True,
            timeout=120,
            check=True,
        )
        if what == "pdf":
            return target.read_bytes()
        if keep := os.environ.get("NETAGENT_KEEP_SCREENSHOT"):
            Path(keep).mkdir(parents=True, exist_ok=True)
            target.replace(Path(keep) / f"{fragment.replace('&', '_').replace('=', '-')}.png")
            return read_png(Path(keep) / f"{fragment.replace('&', '_').replace('=', '-')}.png")
        return read_png(target)

    return run


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    inv = _world()
    engine = engine_for(inv, CoverageConfig())
    engine.set_down({n for n, s in STATES.items() if s not in ("up", "degraded")})
    path = tmp_path_factory.mktemp("map") / "map.html"
    path.write_text(render(inv, engine, result_of(engine, False), STATES), encoding="utf-8")
    return path


def _changed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a.astype(int) - b.astype(int)).__abs__().sum(axis=2) > 12


def _on_map(mask: np.ndarray, info: dict[str, Any]) -> np.ndarray:
    """Only the map's pixels (the controls' own checkboxes change too, elsewhere)."""
    x0, y0, x1, y1 = (round(v) for v in info["map"])
    out = np.zeros_like(mask)
    out[y0:y1, x0:x1] = mask[y0:y1, x0:x1]
    return out


def _inside(mask: np.ndarray, rect: list[float], margin: int = 2) -> bool:
    ys, xs = np.nonzero(mask)
    x0, y0, x1, y1 = rect
    return bool(
        (
            (xs >= x0 - margin) & (xs <= x1 + margin) & (ys >= y0 - margin) & (ys <= y1 + margin)
        ).all()
    )


def test_layer_toggles_change_only_their_layer(browser: Callable[..., Any], page: Path) -> None:
    info = browser(page, "mode=live&check=1", "dom")
    live = browser(page, "mode=live")
    for tech, colour_check in (
        ("wifi", lambda c: c[2] > c[0] + 20),  # blue #2b8cbe
        ("fibre", lambda c: c[0] > c[2] + 40),  # orange #e6550d
    ):
        off = browser(page, f"mode=live&off={tech}")
        diff = _on_map(_changed(live, off), info)
        assert diff.sum() > 200, f"hiding {tech} changed nothing"
        assert _inside(diff, info["rects"][f"live:{tech}"]), f"{tech}: pixels changed elsewhere"
        mean = live[diff].mean(axis=0)
        assert colour_check(mean), f"{tech}: the pixels that went were {mean}, not its colour"
    planned_info = browser(page, "mode=planned&check=1", "dom")
    planned = browser(page, "mode=planned")
    off = browser(page, "mode=planned&off=fixed-wireless")
    diff = _on_map(_changed(planned, off), planned_info)
    assert diff.sum() > 200
    assert _inside(diff, planned_info["rects"]["planned:fixed-wireless"])
    mean = planned[diff].mean(axis=0)
    assert mean[2] > mean[1], f"fixed-wireless (#756bb1) pixels expected, got {mean}"


def test_planned_live_toggle_and_zoom(browser: Callable[..., Any], page: Path) -> None:
    info = browser(page, "mode=live&check=1", "dom")
    x0, y0, x1, y1 = (round(v) for v in info["map"])
    planned, live = browser(page, "mode=planned"), browser(page, "mode=live")
    on_map = _on_map(_changed(planned, live), info)
    # the teatro AP and the Coviolo sector go and their area is hatched; the quartieri
    # they covered change class. Nothing else on the map moves.
    assert on_map.sum() > 500
    zoomed = browser(page, "mode=live&z=3")
    assert _changed(live, zoomed)[y0:y1, x0:x1].mean() > 0.1  # the map moved under the frame
    zinfo = browser(page, "mode=live&z=3&check=1", "dom")
    assert zinfo["scale"] != info["scale"]  # the scale bar follows the zoom
    assert zinfo["overlaps"] == [] and info["overlaps"] == []


def test_labels_above_the_layers_without_collisions(
    browser: Callable[..., Any], page: Path
) -> None:
    info = browser(page, "mode=planned&check=1", "dom")
    assert info["labels"] == 3 and info["overlaps"] == []
    order = info["order"]
    assert order.index("labels") > order.index("layers") > order.index("quartieri")
    # the sample's crowded centre (Rosta Nuova / Ospizio / Santa Croce...) too
    from netagent.inventory.load import load_inventory
    from netagent.inventory.sample import SAMPLE_PATHS

    inv = load_inventory(SAMPLE_PATHS).inventory
    engine = engine_for(inv, CoverageConfig())
    sample = page.with_name("sample.html")
    sample.write_text(render(inv, engine, result_of(engine, False), {}), encoding="utf-8")
    info = browser(sample, "check=1", "dom")
    assert info["labels"] == 25 and info["overlaps"] == [], info["overlaps"]


def test_a_quartiere_shows_its_figures(browser: Callable[..., Any], page: Path) -> None:
    inv = _world()
    engine = engine_for(inv, CoverageConfig())
    engine.set_down({n for n, s in STATES.items() if s not in ("up", "degraded")})
    row = next(
        r
        for r in result_of(engine, True).rows
        if r.quartiere == "Coviolo" and r.technology == "fixed-wireless"
    )
    info = browser(page, "mode=live&q=Coviolo&check=1", "dom")
    text = info["panel"]
    assert text.startswith("Coviolo") and "Live" in text
    assert f"fixed-wireless{fmt(row.covered_km2, 3)}{fmt(row.covered_pct, 1)}" in text
    assert fmt(row.lost_km2, 3) in text and row.lost_km2 > 0
    assert browser(page, "mode=planned&check=1", "dom")["panel"] == ""


def test_prints_on_one_page_and_no_request_leaves_the_file(
    browser: Callable[..., Any], page: Path, proxy: _Listener, tmp_path: Path
) -> None:
    pdf = browser(page, "mode=live", "pdf")
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
    html = page.read_text(encoding="utf-8")
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", html)
    assert proxy.page_requests() == [], "the map asked the network for something"
    # the listener does see a page that asks for something (it is Chromium's way out)
    leak = tmp_path / "leak.html"
    leak.write_text('<img src="http://netagent.invalid/x.png">', encoding="utf-8")
    browser(leak, "")
    assert "netagent.invalid" in proxy.page_requests()
