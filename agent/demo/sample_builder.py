"""Generate the bundled Reggio Emilia sample lab: `python -m netagent.agent.demo.sample_builder
[out_dir]`.

Dev tool: the generated files in inventory/sample/ are committed, and a test re-runs this
to check they are reproduced byte for byte. Everything is seeded; the network itself is
illustrative (no per-AP dataset is public), laid over real quartiere centres and the real
ISTAT boundary copied into inventory/sample/.
"""

from __future__ import annotations

import csv
import io
import math
import random
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry

from netagent.geo import sample_places as P
from netagent.geo.quartieri import (
    VORONOI_SOURCE,
    Centre,
    QuartiereIndex,
    to_lonlat,
    to_metric,
    voronoi_quartieri,
)
from netagent.geo.sample_files import IMPORTS, feature_collection, flow_list, geojson_feature
from netagent.inventory.geojson import read_features
from netagent.inventory.model import Quartiere
from netagent.inventory.sample import SAMPLE_DIR

SEED = 2017  # the year Coviolo Wireless won the European Broadband Award
AP_TARGET = 130  # APs spread over the quartieri, besides the historic-centre places
ILLUSTRATIVE = (
    "ILLUSTRATIVE SAMPLE: a plausible network laid over real Reggio Emilia "
    "geography; devices, addresses and links are invented."
)
CSV_COLUMNS = (
    "nome_ap",
    "sito",
    "tipo_sito",
    "indirizzo",
    "lat",
    "lon",
    "ip_gestione",
    "modello",
    "produttore",
    "profilo_snmp",
    "porta_snmp",
    "interno_esterno",
    "raggio_m",
    "switch",
)
# (model, vendor, snmp profile, placement)
AP_MODELS = (
    ("U6-Pro", "Ubiquiti", "unifi", "interno"),
    ("U6-Mesh", "Ubiquiti", "unifi", "esterno"),
    ("UAP-AC-M", "Ubiquiti", "unifi", "esterno"),
    ("cAP ax", "MikroTik", "mikrotik-ap", "interno"),
    ("wAP ac", "MikroTik", "mikrotik-ap", "esterno"),
)


def slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")


@dataclass
class Lab:
    """What the builder accumulates before writing; one list per output section."""

    sites: list[dict[str, Any]] = field(default_factory=list)
    devices: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    segments: list[dict[str, Any]] = field(default_factory=list)
    paths: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    aps: list[dict[str, Any]] = field(default_factory=list)
    faults: list[dict[str, str]] = field(default_factory=list)
    next_port: int = 16100
    router_ports: dict[str, int] = field(default_factory=dict)

    def snmp_port(self) -> int:
        self.next_port += 1
        return self.next_port - 1

    def site(self, name: str, lat: float, lon: float, kind: str, address: str) -> str:
        self.sites.append(
            {
                "name": name,
                "lat": round(lat, 6),
                "lon": round(lon, 6),
                "kind": kind,
                "address": address,
            }
        )
        return name

    def device(self, **fields: Any) -> str:
        self.devices.append({**fields, "snmp_port": self.snmp_port(), "status": "active"})
        return str(fields["name"])

    def fibre(
        self,
        name: str,
        a: dict[str, Any],
        b: dict[str, Any],
        a_port: str,
        b_port: str,
        fibres: int,
        owner: str,
    ) -> None:
        self.segments.append(
            {
                "name": name,
                "a_site": a["site"],
                "b_site": b["site"],
                "a_device": a["name"],
                "a_port": a_port,
                "b_device": b["name"],
                "b_port": b_port,
                "fibre_count": fibres,
                "owner": owner,
                "capacity_mbps": 10000,
            }
        )
        pa, pb = self.coords(a["site"]), self.coords(b["site"])
        # Fibre follows streets: an L-shaped path is closer to reality than a straight line.
        self.paths[name] = [pa, (round(pb[0], 6), round(pa[1], 6)), pb]

    def downlink(self, router: str) -> str:
        self.router_ports[router] = self.router_ports.get(router, 0) + 1
        return f"ether{self.router_ports[router]}"

    def coords(self, site: str) -> tuple[float, float]:
        s = next(s for s in self.sites if s["name"] == site)
        return (s["lon"], s["lat"])


def load_centres(sample_dir: Path) -> list[Centre]:
    with (sample_dir / "quartieri_ambiti.csv").open(encoding="utf-8") as f:
        ambiti = {r["name"]: r["ambito"] for r in csv.DictReader(f)}
    with (sample_dir / "quartieri_centroids.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [
        Centre(
            name=r["name"],
            lon=float(r["lon"]),
            lat=float(r["lat"]),
            ambito=r["ambito"] or ambiti.get(P.AMBITO_ALIASES.get(r["name"], r["name"])),
            population=int(r["population"]),
        )
        for r in rows
    ]


def load_boundary(sample_dir: Path) -> BaseGeometry:
    return read_features(sample_dir / "comune.geojson")[0].geometry


def _random_point(rng: random.Random, area: BaseGeometry, centre: Point, radius: float) -> Point:
    """A point in `area` within `radius` m of `centre` (metric), by rejection sampling."""
    for _ in range(500):
        r, a = radius * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
        p = Point(centre.x + r * math.cos(a), centre.y + r * math.sin(a))
        if area.contains(p):
            return p
    return area.representative_point()


def _lonlat(p: Point) -> tuple[float, float]:
    q = to_lonlat(p)
    return round(q.x, 6), round(q.y, 6)


def _core(lab: Lab) -> list[dict[str, Any]]:
    """Lepida's ring of PoPs around the centre, one router each, fibre between them."""
    routers = []
    for i, (name, address, lat, lon) in enumerate(P.RING_POPS, start=1):
        site = lab.site(name, lat, lon, "pop", address)
        lab.device(
            name=f"rtr-{slug(name.removeprefix('PoP Lepida '))}",
            site=site,
            role="router",
            vendor="MikroTik",
            model="CCR2004-16G-2S+",
            mgmt_ip=f"127.10.0.{i}",
            snmp_profile="mikrotik-router",
            parent=None if i == 1 else "rtr-municipio",
            tags=["lepida", "core"],
        )
        routers.append(lab.devices[-1])
    for a, b in zip(routers, routers[1:] + routers[:1], strict=True):
        lab.fibre(
            f"Anello Lepida {a['site'][11:]} - {b['site'][11:]}",
            a,
            b,
            "sfp-sfpplus2",
            "sfp-sfpplus1",
            96,
            "Lepida",
        )
    return routers


def _nearest(items: list[dict[str, Any]], lab: Lab, lon: float, lat: float) -> dict[str, Any]:
    def dist(d: dict[str, Any]) -> float:
        x, y = lab.coords(d["site"])
        return math.hypot((x - lon) * math.cos(math.radians(lat)), y - lat)

    return min(items, key=dist)


class _Names:
    """Draws names from the pools without repeating, deterministically."""

    def __init__(self, rng: random.Random) -> None:
        self.rng, self.used = rng, set[str]()

    def pick(self, pool: tuple[str, ...], fmt: str) -> str:
        free = [x for x in pool if fmt.format(x) not in self.used] or list(pool)
        name = fmt.format(self.rng.choice(free))
        n = 2
        while name in self.used:
            name, n = f"{fmt.format(self.rng.choice(free))} {n}", n + 1
        self.used.add(name)
        return name


def _place(names: _Names, rng: random.Random, q: str, i: int) -> tuple[str, str]:
    """A public place name in quartiere q and its CSV kind, the i-th drawn there."""
    kinds = ("scuola", "biblioteca", "piazza", "parco", "scuola", "municipio", "sport")
    kind = kinds[i % len(kinds)]
    if kind == "scuola":
        return names.pick(P.PEOPLE, f"{rng.choice(P.SCHOOL_KINDS)} {{}}"), kind
    if kind == "biblioteca":
        return names.pick((q,), "Biblioteca di {}"), kind
    if kind == "piazza":
        return names.pick(P.SQUARES, f"{{}}, {q}"), kind
    if kind == "parco":
        return names.pick(P.PARKS, f"{{}}, {q}"), kind
    if kind == "municipio":
        return names.pick((q,), "Polo sociale di {}"), kind
    return names.pick(("Palestra", "Campo sportivo", "Piscina"), f"{{}} di {q}"), kind


def _ap_row(
    lab: Lab,
    rng: random.Random,
    name: str,
    site: tuple[str, str, str, float, float],
    ip: str,
    switch: str,
) -> None:
    model, vendor, profile, placement = rng.choice(AP_MODELS)
    if site[1] in ("piazza", "parco"):
        model, vendor, profile, placement = AP_MODELS[1 if rng.random() < 0.6 else 4]
    radius = rng.choice((30, 40, 50)) if placement == "interno" else rng.choice((80, 100, 120, 150))
    lab.aps.append(
        dict(
            zip(
                CSV_COLUMNS,
                (
                    name,
                    site[0],
                    site[1],
                    site[2],
                    f"{site[3]:.6f}",
                    f"{site[4]:.6f}",
                    ip,
                    model,
                    vendor,
                    profile,
                    str(lab.snmp_port()),
                    placement,
                    str(radius),
                    switch,
                ),
                strict=True,
            )
        )
    )


def _access(
    lab: Lab,
    rng: random.Random,
    quartieri: list[Quartiere],
    centres: list[Centre],
    routers: list[dict[str, Any]],
) -> dict[str, dict[str, Any]]:
    """One access switch per quartiere (fed by fibre from the nearest PoP) and its APs."""
    names = _Names(rng)
    total_pop = sum(c.population or 0 for c in centres)
    switches: dict[str, dict[str, Any]] = {}
    for qi, (q, c) in enumerate(zip(quartieri, centres, strict=True), start=1):
        cell = to_metric(q.geometry).buffer(-150)
        centre = to_metric(Point(c.lon, c.lat))
        if q.name == "Coviolo":
            site = lab.site(
                P.COVIOLO_TOWER[0],
                P.COVIOLO_TOWER[2],
                P.COVIOLO_TOWER[3],
                "tower",
                P.COVIOLO_TOWER[1],
            )
        else:
            lon, lat = _lonlat(_random_point(rng, cell, centre, 400))
            site = lab.site(
                f"Centro civico di {q.name}",
                lat,
                lon,
                "municipal-building",
                f"{rng.choice(P.STREETS)} {rng.randint(1, 80)}, {q.name}, Reggio Emilia",
            )
        router = _nearest(routers, lab, c.lon, c.lat)
        lab.device(
            name=f"sw-{slug(q.name)}",
            site=site,
            role="switch",
            vendor="MikroTik",
            model="CRS326-24G-2S+",
            mgmt_ip=f"127.10.1.{qi}",
            snmp_profile="mikrotik-switch",
            parent=router["name"],
            tags=["access"],
        )
        switches[q.name] = lab.devices[-1]
        lab.fibre(
            f"Accesso {q.name}",
            router,
            lab.devices[-1],
            lab.downlink(router["name"]),
            "sfp-sfpplus1",
            24,
            "Lepida" if qi % 3 else "Comune",
        )
        n_aps = max(3, round(AP_TARGET * (c.population or 0) / total_pop))
        n_ap, i = 0, 0
        while n_ap < n_aps:
            place, kind = _place(names, rng, q.name, i)
            lon, lat = _lonlat(_random_point(rng, cell, centre, 1500))
            address = f"{rng.choice(P.STREETS)} {rng.randint(1, 120)}, {q.name}, Reggio Emilia"
            for _ in range(min(n_aps - n_ap, 2 if kind in ("scuola", "biblioteca") else 1)):
                n_ap += 1
                _ap_row(
                    lab,
                    rng,
                    f"ap-{slug(q.name)}-{n_ap:02d}",
                    (place, kind, address, lat, lon),
                    f"127.20.{qi}.{n_ap}",
                    switches[q.name]["name"],
                )
            i += 1
    return switches


def _centre_and_mancasale(
    lab: Lab, rng: random.Random, switches: dict[str, dict[str, Any]], routers: list[dict[str, Any]]
) -> None:
    """APs at the historic-centre places; Mancasale's extra switches on Comune fibre."""
    municipio = routers[0]
    n = 0
    for name, kind, address, lat, lon, count in P.CENTRE_PLACES:
        for k in range(1, count + 1):
            n += 1
            _ap_row(
                lab,
                rng,
                f"ap-centro-{slug(name)}-{k}",
                (name, kind, address, lat, lon),
                f"127.20.100.{n}",
                "sw-centro-storico",
            )
    lab.device(
        name="sw-centro-storico",
        site="PoP Lepida Municipio",
        role="switch",
        vendor="MikroTik",
        model="CRS326-24G-2S+",
        mgmt_ip="127.10.2.1",
        snmp_profile="mikrotik-switch",
        parent=municipio["name"],
        tags=["access"],
    )
    # A lone AP behind its own switch in Parco del Popolo: the demo's dead-switch fault.
    park = next(p for p in P.CENTRE_PLACES if p[0] == "Parco del Popolo")
    lab.site("Chiosco Parco del Popolo", park[3] + 0.0004, park[4], "park", park[2])
    sw = lab.device(
        name="sw-parco-del-popolo",
        site="Chiosco Parco del Popolo",
        role="switch",
        vendor="MikroTik",
        model="CRS112-8P-4S",
        mgmt_ip="127.10.2.2",
        snmp_profile="mikrotik-switch",
        parent="sw-centro-storico",
        tags=["access"],
    )
    _ap_row(
        lab,
        rng,
        "ap-centro-parco-del-popolo-1",
        (park[0], park[1], park[2], park[3], park[4]),
        "127.20.100.99",
        sw,
    )
    lab.faults.append({"device": sw, "reason": "switch lost power (cabinet breaker tripped)"})
    lab.faults.append(
        {
            "device": "ap-centro-parco-del-popolo-1",
            "reason": "behind the dead switch sw-parco-del-popolo",
        }
    )
    hub = switches["Mancasale"]
    for j, (site, kind, address, lat, lon, swname) in enumerate(P.MANCASALE_NODES, start=3):
        lab.site(site, lat, lon, kind, address)
        lab.device(
            name=swname,
            site=site,
            role="switch",
            vendor="MikroTik",
            model="CRS326-24G-2S+",
            mgmt_ip=f"127.10.2.{j}",
            snmp_profile="mikrotik-switch",
            parent=hub["name"],
            tags=["access", "mancasale"],
        )
        lab.fibre(
            f"Mancasale: centro civico - {site}",
            hub,
            lab.devices[-1],
            f"sfp{j - 1}",
            "sfp-sfpplus1",
            48,
            "Comune",
        )
    # Mancasale APs hang off whichever Mancasale switch is closest.
    mancasale = [d for d in lab.devices if d["name"].startswith("sw-mancasale")]
    for row in lab.aps:
        if row["switch"] == hub["name"]:
            row["switch"] = _nearest(mancasale, lab, float(row["lon"]), float(row["lat"]))["name"]


def _radio(lab: Lab, name: str, a: str, b: str, freq: int, capacity: int, ssid: str) -> None:
    lab.links.append(
        {
            "name": name,
            "a": a,
            "b": b,
            "band": "5GHz",
            "frequency_mhz": freq,
            "capacity_mbps": capacity,
            "ssid": ssid,
        }
    )


def _coviolo(lab: Lab, rng: random.Random, boundary_m: BaseGeometry) -> None:
    """Coviolo Wireless: base station on the tower, a star of repeaters, CPEs behind them."""
    tower = P.COVIOLO_TOWER[0]
    bs = lab.device(
        name="cov-bs",
        site=tower,
        role="base-station",
        vendor="Ubiquiti",
        model="Rocket 5AC Prism",
        mgmt_ip="127.30.0.1",
        snmp_profile="airmax",
        parent="sw-coviolo",
        tags=["coviolo-wireless"],
        sector={"radius_m": 2500.0},
    )
    for r, (key, label, lat, lon, azimuth) in enumerate(P.COVIOLO_REPEATERS, start=1):
        site = lab.site(
            f"Ripetitore {label}",
            lat,
            lon,
            "tower",
            f"{rng.choice(P.RESIDENTIAL_STREETS)}, {label}, Reggio Emilia",
        )
        bh = lab.device(
            name=f"cov-rep-{key}-bh",
            site=site,
            role="ptp-radio",
            vendor="Ubiquiti",
            model="PowerBeam 5AC Gen2",
            mgmt_ip=f"127.30.{r}.1",
            snmp_profile="airmax",
            parent=bs,
            tags=["coviolo-wireless"],
        )
        ap = lab.device(
            name=f"cov-rep-{key}",
            site=site,
            role="base-station",
            vendor="Ubiquiti",
            model="LiteAP AC",
            mgmt_ip=f"127.30.{r}.2",
            snmp_profile="airmax",
            parent=bh,
            tags=["coviolo-wireless"],
            sector={"radius_m": 1500.0, "azimuth_deg": azimuth, "beamwidth_deg": 90.0},
        )
        ssid = f"CovioloWireless-{key}"
        _radio(
            lab,
            f"Coviolo BS - {label}",
            bs,
            bh,
            5180 + 20 * r,
            450 if r < 5 else 300,
            f"CovioloWireless-bh-{key}",
        )
        centre = to_metric(Point(lon, lat))
        for k in range(1, 7):
            # CPEs in the repeater's sector: bearing within ±40° of its azimuth.
            for _ in range(200):
                bearing = math.radians(azimuth + rng.uniform(-40, 40))
                dist = rng.uniform(200, 1400)
                p = Point(centre.x + dist * math.sin(bearing), centre.y + dist * math.cos(bearing))
                if boundary_m.buffer(-100).contains(p):
                    break
            clon, clat = _lonlat(p)
            csite = lab.site(
                f"Utente {label} {k:02d}",
                clat,
                clon,
                "residential",
                f"{rng.choice(P.RESIDENTIAL_STREETS)} {rng.randint(1, 60)}, {label}, Reggio Emilia",
            )
            cpe = lab.device(
                name=f"cov-cpe-{key}-{k:02d}",
                site=csite,
                role="cpe",
                vendor="Ubiquiti",
                model=rng.choice(("NanoStation 5AC Loco", "LiteBeam 5AC Gen2")),
                mgmt_ip=f"127.30.{r}.{10 + k}",
                snmp_profile="airmax",
                parent=ap,
                tags=["coviolo-wireless"],
            )
            _radio(
                lab,
                f"{label} - utente {k:02d}",
                ap,
                cpe,
                5500 + 20 * r,
                rng.choice((100, 150, 200)),
                ssid,
            )
        if key == "fogliano":
            reason = "repeater lost mains power (branch down)"
            branch = [bh, ap] + [f"cov-cpe-{key}-{k:02d}" for k in range(1, 7)]
            lab.faults.extend(
                {"device": d, "reason": reason if d == bh else f"behind the dead repeater {bh}"}
                for d in branch
            )


AP_FAULT_REASONS = (
    "PoE injector failed",
    "fibre drop to the cabinet cut during roadworks",
    "AP replaced, not yet re-provisioned",
    "firmware crash loop after upgrade",
)


def _ap_faults(lab: Lab, rng: random.Random) -> None:
    """A few single-AP failures, away from the branches that already fail as a whole."""
    taken = {f["device"] for f in lab.faults}
    candidates = [
        r["nome_ap"]
        for r in lab.aps
        if r["nome_ap"] not in taken and not r["nome_ap"].startswith("ap-centro-")
    ]
    for name, reason in zip(
        rng.sample(candidates, len(AP_FAULT_REASONS)), AP_FAULT_REASONS, strict=True
    ):
        lab.faults.append({"device": name, "reason": reason})


def render(sample_dir: Path = SAMPLE_DIR) -> dict[str, str]:
    """The generated files' names and contents, from the source data in sample_dir."""
    rng = random.Random(SEED)
    centres = load_centres(sample_dir)
    boundary = load_boundary(sample_dir)
    quartieri = voronoi_quartieri(centres, boundary)
    lab = Lab()
    routers = _core(lab)
    switches = _access(lab, rng, quartieri, centres, routers)
    _centre_and_mancasale(lab, rng, switches, routers)
    _coviolo(lab, rng, to_metric(boundary))
    _ap_faults(lab, rng)
    index = QuartiereIndex(quartieri)
    outside = [
        r["nome_ap"] for r in lab.aps if index.locate(float(r["lon"]), float(r["lat"])) is None
    ]
    if outside:
        raise RuntimeError(f"APs placed outside the comune: {outside}")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, delimiter=";", lineterminator="\n")
    writer.writeheader()
    writer.writerows(lab.aps)
    header = (
        f"# {ILLUSTRATIVE}\n# Generated by `python -m netagent.agent.demo.sample_builder`; "
        "do not edit by hand: change the builder and re-run it.\n"
    )
    network = "\n".join(
        [
            header + "# EmiliaRomagnaWiFi APs come from aps.csv (an operator-style export).",
            flow_list("sites", lab.sites),
            flow_list("devices", lab.devices),
            flow_list("links", lab.links),
            flow_list("segments", lab.segments),
            yaml.safe_dump(IMPORTS, sort_keys=False, allow_unicode=True, width=100),
        ]
    )
    lab_yaml = (
        header + "# Devices whose management address does NOT answer in the demo "
        "lab: the lab builds only\n# the other addresses. A reason for each.\n"
        + flow_list("faults", lab.faults)
    )
    return {
        "aps.csv": out.getvalue(),
        "network.yaml": network,
        "lab.yaml": lab_yaml,
        "fibre.geojson": feature_collection(
            [
                geojson_feature(LineString(path), {"segment": name})
                for name, path in lab.paths.items()
            ],
            ILLUSTRATIVE,
        ),
        "quartieri.geojson": feature_collection(
            [
                geojson_feature(
                    q.geometry,
                    {
                        "name": q.name,
                        "ambito": q.ambito,
                        "population": q.population,
                        "approximate": q.approximate,
                        "source": q.source,
                    },
                )
                for q in quartieri
            ],
            "APPROXIMATE quartiere polygons: "
            + VORONOI_SOURCE
            + "; replace them with the Comune's official polygons when available.",
        ),
    }


def main(argv: list[str]) -> int:
    out_dir = Path(argv[0]) if argv else SAMPLE_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, text in render().items():
        (out_dir / name).write_text(text, encoding="utf-8")
        print(f"wrote {out_dir / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
