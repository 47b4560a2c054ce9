"""The map page's stylesheet and script, inlined so the file needs nothing else.

The script is small and dependency-free on purpose: the page must open offline, from a
mail attachment, with no tile server or CDN. Its whole state (view, layers off, zoom,
centre, selected quartiere) lives in the URL fragment, e.g.
`map.html#mode=live&off=wifi&z=2&q=Coviolo`, so a view can be bookmarked or sent, and a
headless browser can be pointed at any view without clicking.
"""

CSS = """
*{box-sizing:border-box}body{font-family:system-ui,sans-serif;margin:1em;color:#222}
h1{font-size:1.35em;margin:.2em 0}.note{font-size:13px;color:#444;margin:.2em 0}
.controls{display:flex;flex-wrap:wrap;gap:1em;align-items:center;font-size:14px;
margin:.5em 0;padding:.4em .6em;background:#f3f3f3;border:1px solid #ddd}
.controls fieldset{border:0;margin:0;padding:0;display:flex;gap:.6em;align-items:center}
.controls button{font-size:15px;min-width:2em}
.map{display:flex;gap:1em;align-items:flex-start}
.frame{position:relative;border:1px solid #bbb;background:#fff;flex:0 0 auto}
#map{display:block;width:1000px;max-width:calc(100vw - 31em);height:auto;cursor:grab;
touch-action:none}
#map.dragging{cursor:grabbing}
#labels{font-size:11px}.label{font-weight:600;text-anchor:middle;fill:#111;paint-order:stroke;
stroke:#fff;stroke-width:3px;stroke-linejoin:round}
.quartiere.selected{stroke:#000;stroke-width:3}
.north{position:absolute;top:8px;right:8px;width:34px;height:52px}
.scale{position:absolute;left:10px;bottom:10px;font-size:12px;background:rgba(255,255,255,.8);
padding:2px 4px}.scale .bar{height:5px;background:#333;border:1px solid #333}
.side{flex:0 0 28em;min-width:0;font-size:13px;overflow-wrap:anywhere}
.side table{font-size:11px;width:100%;table-layout:fixed}
.side th{overflow-wrap:normal;font-size:10px}.side tr>:first-child{width:22%}
.legend{list-style:none;padding:0;margin:.3em 0}.legend li{margin:.2em 0}
.sw,.dot{display:inline-block;width:14px;height:14px;margin-right:.5em;vertical-align:middle;
border:1px solid #555}.dot{border-radius:50%}.dashed{border-style:dashed;background:#fff}
.hatch{background:repeating-linear-gradient(45deg,#d7191c 0 2px,#fff 2px 5px)}
table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:2px 5px;
text-align:right}td:first-child,th:first-child{text-align:left}
#panel{border:1px solid #999;padding:.5em;margin:.5em 0;background:#fffef5}
#panel:empty{display:none}.keyfig{margin:.5em 0}.keyfig h2,#panel h2{font-size:1.05em;margin:.2em 0}
#figures{margin-top:1.2em}#selftest{display:none}
@page{size:A4 landscape;margin:9mm}
@media print{body{margin:0}.controls,#figures,.no-print{display:none!important}
#map{width:190mm;max-width:190mm;cursor:auto}.map{gap:4mm}.side{font-size:10px}
.north,.scale{print-color-adjust:exact;-webkit-print-color-adjust:exact}
svg,.sw,.dot,.hatch{print-color-adjust:exact;-webkit-print-color-adjust:exact}}
"""

JS = r"""
(function () {
  "use strict";
  const svg = document.getElementById("map");
  const FIG = JSON.parse(document.getElementById("figures-data").textContent);
  const W = +svg.dataset.width, H = +svg.dataset.height, K = +svg.dataset.pxPerMetre;
  const TECHS = ["wifi", "fibre", "fixed-wireless"];
  const st = {mode: FIG.initial, off: new Set(), devices: true, z: 1, cx: W / 2, cy: H / 2,
              q: null, check: false};

  function readHash() {
    const h = new URLSearchParams(location.hash.slice(1));
    if (h.get("mode") === "live" || h.get("mode") === "planned") st.mode = h.get("mode");
    st.off = new Set((h.get("off") || "").split(",").filter(Boolean));
    st.devices = !st.off.has("devices");
    const z = parseFloat(h.get("z"));
    st.z = z >= 1 && z <= 64 ? z : 1;
    const cx = parseFloat(h.get("cx")), cy = parseFloat(h.get("cy"));
    st.cx = isFinite(cx) ? cx : W / 2;
    st.cy = isFinite(cy) ? cy : H / 2;
    st.q = h.get("q");
    st.check = h.has("check");
  }

  function writeHash() {
    const h = new URLSearchParams();
    h.set("mode", st.mode);
    if (st.off.size) h.set("off", [...st.off].join(","));
    if (st.z !== 1) { h.set("z", st.z.toFixed(2)); h.set("cx", st.cx.toFixed(0));
                      h.set("cy", st.cy.toFixed(0)); }
    if (st.q) h.set("q", st.q);
    if (st.check) h.set("check", "1");
    history.replaceState(null, "", "#" + h.toString());
  }

  function clampView() {
    const w = W / st.z, h = H / st.z;
    st.cx = Math.min(Math.max(st.cx, w / 2), W - w / 2);
    st.cy = Math.min(Math.max(st.cy, h / 2), H - h / 2);
  }

  function niceScale() {
    const mPerPx = (W / st.z) / svg.clientWidth / K;
    const target = 120 * mPerPx, mag = Math.pow(10, Math.floor(Math.log10(target)));
    const m = [5, 2, 1].map(f => f * mag).find(v => v <= target) || mag;
    document.getElementById("scale-bar").style.width = (m / mPerPx).toFixed(0) + "px";
    document.getElementById("scale-text").textContent =
      m >= 1000 ? (m / 1000) + " km" : m + " m";
  }

  function esc(s) {
    return String(s).replace(/[&<>"]/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;",
                                               '"': "&quot;"}[c]));
  }

  function panel() {
    const el = document.getElementById("panel");
    const q = st.q && FIG[st.mode].rows[st.q];
    document.querySelectorAll(".quartiere").forEach(p =>
      p.classList.toggle("selected", p.dataset.name === st.q));
    if (!q) { el.innerHTML = ""; return; }
    const live = st.mode === "live";
    let t = "<h2>" + esc(st.q) + (q.approximate ? " (approximate boundary)" : "") + "</h2>" +
      "<p>" + esc(FIG.modeText[st.mode]) + "<br>area " + q.area + " km², population " +
      q.population + " (" + esc(q.basis) + ")</p><table><tr><th>technology</th>" +
      "<th>covered km²</th><th>%</th><th>residents</th><th>elements</th>" +
      (live ? "<th>lost km²</th><th>residents lost</th><th>subscribers cut off</th>" : "") +
      "</tr>";
    for (const tech of [...TECHS, "all"]) {
      const r = q.tech[tech];
      t += "<tr><td>" + tech + "</td><td>" + r.covered_km2 + "</td><td>" + r.covered_pct +
        "</td><td>" + r.residents_covered + "</td><td>" + r.elements + "</td>" +
        (live ? "<td>" + r.lost_km2 + "</td><td>" + r.lost_residents + "</td><td>" +
                r.subscribers_cut_off + "</td>" : "") + "</tr>";
    }
    el.innerHTML = t + "</table>";
  }

  function apply() {
    clampView();
    const w = W / st.z, h = H / st.z;
    svg.setAttribute("viewBox", [st.cx - w / 2, st.cy - h / 2, w, h].map(v => v.toFixed(2))
                                   .join(" "));
    document.querySelectorAll(".quartiere").forEach(p =>
      p.setAttribute("fill", p.dataset["fill" + (st.mode === "live" ? "Live" : "Planned")]));
    document.querySelectorAll(".layer").forEach(p =>
      p.style.display = p.dataset.mode === st.mode && !st.off.has(p.dataset.technology)
        ? "" : "none");
    document.querySelectorAll(".lost").forEach(p =>
      p.style.display = st.mode === "live" ? "" : "none");
    document.getElementById("devices").style.display = st.devices ? "" : "none";
    document.querySelectorAll("[data-view]").forEach(e =>
      e.style.display = e.dataset.view === st.mode ? "" : "none");
    const labels = document.getElementById("labels");
    labels.style.fontSize = (11 / st.z) + "px";
    labels.querySelectorAll(".label").forEach(t => t.style.strokeWidth = (3 / st.z) + "px");
    // devices keep their size on screen whatever the zoom
    document.querySelectorAll(".device").forEach(d => d.setAttribute("r", (3 / st.z).toFixed(3)));
    document.querySelectorAll("input[name=mode]").forEach(i => i.checked = i.value === st.mode);
    document.querySelectorAll("input[data-toggle]").forEach(i =>
      i.checked = !st.off.has(i.dataset.toggle));
    niceScale();
    panel();
    writeHash();
    if (st.check) selfTest();
  }

  function selfTest() {
    const boxes = [...document.querySelectorAll("#labels .label")].map(t => {
      const b = t.getBBox(); return [t.dataset.name, b.x, b.y, b.x + b.width, b.y + b.height];
    });
    const overlaps = [];
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i], b = boxes[j];  // [name, x0, y0, x1, y1]
      if (a[1] < b[3] && b[1] < a[3] && a[2] < b[4] && b[2] < a[4]) overlaps.push([a[0], b[0]]);
    }
    const kids = [...svg.children].map(c => c.id).filter(Boolean);
    document.getElementById("selftest").textContent = JSON.stringify({
      labels: boxes.length, overlaps: overlaps,
      order: kids, mode: st.mode,
      visibleLayers: [...document.querySelectorAll(".layer")]
        .filter(p => p.style.display !== "none").map(p => p.dataset.mode + ":" +
                                                      p.dataset.technology),
      // on-screen boxes (CSS px = screenshot px) of what is shown, for pixel checks
      rects: Object.fromEntries([...document.querySelectorAll(".layer, .lost")]
        .filter(p => p.style.display !== "none").map(p => {
          const r = p.getBoundingClientRect();
          return [p.dataset.mode + ":" + (p.dataset.technology || "lost"),
                  [r.left, r.top, r.right, r.bottom]];
        })),
      map: (r => [r.left, r.top, r.right, r.bottom])(svg.getBoundingClientRect()),
      panel: document.getElementById("panel").textContent,
      scale: document.getElementById("scale-text").textContent,
      viewBox: svg.getAttribute("viewBox")});
  }

  function toSvg(ev) {
    const r = svg.getBoundingClientRect(), w = W / st.z, h = H / st.z;
    return [st.cx - w / 2 + (ev.clientX - r.left) / r.width * w,
            st.cy - h / 2 + (ev.clientY - r.top) / r.height * h];
  }

  function zoomAt(factor, at) {
    const z = Math.min(64, Math.max(1, st.z * factor)), k = st.z / z;
    const [x, y] = at || [st.cx, st.cy];
    st.cx = x + (st.cx - x) * k; st.cy = y + (st.cy - y) * k; st.z = z;
    apply();
  }

  svg.addEventListener("wheel", ev => {
    ev.preventDefault(); zoomAt(ev.deltaY < 0 ? 1.25 : 0.8, toSvg(ev));
  }, {passive: false});
  let drag = null;
  svg.addEventListener("pointerdown", ev => {
    drag = {x: ev.clientX, y: ev.clientY, cx: st.cx, cy: st.cy, moved: false};
    svg.setPointerCapture(ev.pointerId);
  });
  svg.addEventListener("pointermove", ev => {
    if (!drag) return;
    const r = svg.getBoundingClientRect(), dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 4) { drag.moved = true; svg.classList.add("dragging"); }
    if (!drag.moved) return;
    st.cx = drag.cx - dx / r.width * W / st.z; st.cy = drag.cy - dy / r.height * H / st.z;
    apply();
  });
  svg.addEventListener("pointerup", ev => {
    const d = drag; drag = null; svg.classList.remove("dragging");
    if (d && !d.moved) {
      svg.releasePointerCapture(ev.pointerId);
      const hit = document.elementsFromPoint(ev.clientX, ev.clientY)
        .find(e => e.classList && e.classList.contains("quartiere"));
      st.q = hit ? hit.dataset.name : null; apply();
    }
  });
  document.querySelectorAll("input[name=mode]").forEach(i =>
    i.addEventListener("change", () => { st.mode = i.value; apply(); }));
  document.querySelectorAll("input[data-toggle]").forEach(i =>
    i.addEventListener("change", () => {
      if (i.checked) st.off.delete(i.dataset.toggle); else st.off.add(i.dataset.toggle);
      st.devices = !st.off.has("devices"); apply();
    }));
  document.getElementById("zoom-in").addEventListener("click", () => zoomAt(1.5));
  document.getElementById("zoom-out").addEventListener("click", () => zoomAt(1 / 1.5));
  document.getElementById("zoom-reset").addEventListener("click", () => {
    st.z = 1; st.cx = W / 2; st.cy = H / 2; apply(); });
  window.addEventListener("hashchange", () => { readHash(); apply(); });
  window.addEventListener("resize", niceScale);
  readHash();
  apply();
})();
"""
