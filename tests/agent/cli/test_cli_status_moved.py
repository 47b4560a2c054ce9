"""`netagent status` after the operator corrected a site: its devices' points now carry
another quartiere tag, so the store holds a stale series beside the new one. Status
showed whichever series sorted last by name (an AP "down" for good after it came back,
in a quartiere it no longer is in); it shows the newest."""

from __future__ import annotations

from pathlib import Path

from tests.cli_operator import DOWN, UP, namespace, needs_root, operator


def test_status_follows_a_device_whose_quartiere_changed(tmp_path: Path) -> None:
    needs_root()
    op = operator(tmp_path)
    inv = op.root / "inventory.yaml"
    right = inv.read_text()
    # At first the AP's site was entered wrong: outside the quartiere (tag `outside`).
    wrong = right.replace(
        "devices:", "  - {name: Biblioteca, lat: 44.75, lon: 10.70}\ndevices:"
    ).replace("site: Piazza Prampolini, role: wifi-ap", "site: Biblioteca, role: wifi-ap")
    inv.write_text(wrong)
    with namespace([UP]) as ns:
        op.write_config(f'netns = "{ns}"')
        assert op.run("run", "--once").returncode == 1  # the AP down, `outside`
    inv.write_text(right)  # the site corrected: the AP is in Centro Operatore, and answers
    with namespace([UP, DOWN]) as ns:
        op.write_config(f'netns = "{ns}"')
        assert op.run("run", "--once").returncode == 0
    code, out = op.json("status")
    states = {d["device"]: (d["state"], d["quartiere"]) for d in out["devices"]}
    assert states["op-ap-1"] == ("up", "Centro Operatore"), out
    assert code == 0
