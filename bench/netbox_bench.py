"""NetBox sync benchmark: netagent's bulk plan/apply beside a naive one-object-per-request sync.

NetBox is slow at writing (MEASURED.md: ~75 ms per object in a bulk POST, ~144 ms per
single POST), so what a sync costs is mostly its requests. Both syncs run against the
schema-checking double (tests/netbox_double) on loopback, in the same run, on the same
data: the sample inventory, then a generated 2,000-device one.

    /work/venv/bin/python bench/netbox_bench.py [--devices 2000]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from netagent.inventory.model import DeviceStatus, Inventory
from netagent.inventory.netbox import NetBoxConfig, SyncReport, apply, plan
from netagent.inventory.netbox.config import MEASURED_S_PER_OBJECT
from netagent.inventory.netbox.kinds import KIND, ORDER, Ref, encode, refs_in, same
from netagent.inventory.netbox.mapping import map_inventory
from tests.netbox_double import TOKEN, NetBoxDouble
from tests.netbox_double.inventories import make_inventory, with_device_status

# How the naive sync finds an object: filter name -> desired field.
NAIVE_LOOKUP = {
    "tags": ("slug", "slug"),
    "custom-fields": ("name", "name"),
    "device-types": ("slug", "slug"),
    "wireless-lans": ("ssid", "ssid"),
    "interfaces": ("name", "name"),
    "ip-addresses": ("address", "address"),
    "wireless-links": ("interface_a_id", "interface_a"),
    "cables": ("label", "label"),
}


def sample_inventory() -> tuple[str, Inventory]:
    """The bundled Reggio Emilia sample, sites placed in their quartieri as the agent does."""
    from netagent.agent.inventory_source import load

    inv = load().inventory
    assert inv is not None, "the bundled sample does not load"
    return "bundled sample", inv


def naive_sync(inv: Inventory, url: str, tag: str = "netagent") -> None:
    """What a script typically does: per object, GET it, then POST or PATCH that one object."""
    s = requests.Session()
    s.headers["Authorization"] = f"Token {TOKEN}"
    ids: dict[tuple[str, str], int] = {}
    later: list[tuple[str, int, dict[str, Any]]] = []
    for d in map_inventory(inv, NetBoxConfig(tag=tag)).objects:
        kind = KIND[d.kind]
        base = f"{url}/api/{kind.app}/{kind.name}/"
        filt, field = NAIVE_LOOKUP.get(d.kind, ("name", "name"))
        value = d.fields[field]
        params: dict[str, Any] = {
            filt: ids[(value.kind, value.key)] if isinstance(value, Ref) else value
        }
        if d.kind == "interfaces":
            params["device_id"] = ids[("devices", d.key.split("/", 1)[0])]
        found = s.get(base, params=params, timeout=60).json()["results"]
        now = {
            f: v
            for f, v in d.fields.items()
            if not any(ORDER[r.kind] >= ORDER[d.kind] for r in refs_in(v))
        }
        body = {f: encode(v, lambda r: ids[(r.kind, r.key)]) for f, v in now.items()}
        if found:
            ids[(d.kind, d.key)] = found[0]["id"]
            diff = {
                f: body[f]
                for f, v in now.items()
                if not same(v, found[0].get(f), lambda r: ids.get((r.kind, r.key)))
            }
            if diff and kind.taggable:
                s.patch(f"{base}{found[0]['id']}/", json=diff, timeout=60).raise_for_status()
        else:
            r = s.post(base, json=body, timeout=60)
            r.raise_for_status()
            ids[(d.kind, d.key)] = r.json()["id"]
        deferred = {f: v for f, v in d.fields.items() if f not in now}
        if deferred and not found:
            later.append((base, ids[(d.kind, d.key)], deferred))
    for base, obj_id, fields in later:
        body = {f: encode(v, lambda r: ids[(r.kind, r.key)]) for f, v in fields.items()}
        s.patch(f"{base}{obj_id}/", json=body, timeout=60).raise_for_status()


def measure(nb: NetBoxDouble, fn: Callable[[], object]) -> tuple[int, int, float]:
    nb.reset_counts()
    t = time.perf_counter()
    fn()
    return nb.counts["GET"], nb.writes, time.perf_counter() - t


def run(label: str, inv: Inventory, chunks: list[str]) -> list[tuple[str, ...]]:
    """Both syncs, three steps each; the first sync's chunking goes to `chunks`."""
    rows: list[tuple[str, ...]] = []
    reports: list[SyncReport] = []
    changed = with_device_status(inv, inv.devices[len(inv.devices) // 2].name, DeviceStatus.OFFLINE)
    objects = len(map_inventory(inv, NetBoxConfig()).objects)
    for who in ("netagent", "naive"):
        with NetBoxDouble() as nb:
            cfg = NetBoxConfig(url=nb.url, token=SecretStr(TOKEN))

            def ours(i: Inventory, cfg: NetBoxConfig = cfg) -> None:
                report = apply(plan(i, cfg), cfg)
                assert report.ok, report.errors[:5]
                reports.append(report)

            def naive(i: Inventory, url: str = nb.url) -> None:
                naive_sync(i, url)

            sync = ours if who == "netagent" else naive
            for step, data in (
                ("first sync", inv),
                ("no-op resync", inv),
                ("one changed device", changed),
            ):
                reads, writes, secs = measure(nb, lambda d=data, f=sync: f(d))  # type: ignore[misc]
                assert not nb.violations, nb.violations[:3]
                if who == "netagent" and step == "first sync":
                    largest = max(n for m, _, n in nb.requests if m != "GET")
                    first = reports[-1]
                    chunks.append(
                        f"{label}: first sync {first.chunks} chunks of at most "
                        f"{cfg.chunk_size()} objects; slowest chunk {first.slowest_chunk_s:.3f} s "
                        f"on the double, largest {largest} objects ≈ "
                        f"{largest * MEASURED_S_PER_OBJECT:.0f} s on NetBox 4.4.10 "
                        f"(proxy timeout {cfg.proxy_timeout_s:.0f} s)"
                    )
                rows.append(
                    (
                        label,
                        str(len(inv.devices)),
                        str(objects),
                        who,
                        step,
                        str(reads),
                        str(writes),
                        str(reads + writes),
                        f"{secs:.2f}",
                    )
                )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--devices", type=int, default=2000)
    args = ap.parse_args()
    chunks: list[str] = []
    rows = run(*sample_inventory(), chunks)
    rows += run("generated", make_inventory(args.devices), chunks)
    head = (
        "inventory",
        "devices",
        "objects",
        "sync",
        "step",
        "reads",
        "writes",
        "requests",
        "seconds",
    )
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    print()
    for label in dict.fromkeys(r[0] for r in rows):
        get = {(r[3], r[4]): r for r in rows if r[0] == label}
        for step in ("first sync", "no-op resync", "one changed device"):
            ours, naive = int(get[("netagent", step)][7]), int(get[("naive", step)][7])
            print(
                f"{label:>16} {step:<19} naive/netagent requests = {naive / max(ours, 1):7.1f}x "
                f"(seconds {float(get[('naive', step)][8]) / max(float(get[('netagent', step)][8]), 1e-3):.1f}x)"  # noqa: E501
            )
    print()
    for line in chunks:
        print(line)
    print(
        "\nFigures are indicative: the machine is shared; the double answers in ms "
        "where NetBox takes "
        "~75 ms per object written in bulk and ~144 ms per single POST."
    )


if __name__ == "__main__":
    main()
