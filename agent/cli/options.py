"""Options shared by several commands, declared once."""

from __future__ import annotations

from pathlib import Path

import typer

from agent.cli.common import default_data_dir

InventoryOpt = typer.Option(
    None, "--inventory", "-i", help="Inventory file (YAML, CSV, GeoJSON); repeatable. "
    "Default: the bundled Reggio Emilia sample.", exists=True, dir_okay=False)
QuartieriOpt = typer.Option(
    None, "--quartieri", help="Official quartiere polygons (GeoJSON or Shapefile, any CRS) "
    "replacing the approximate ones.", exists=True, dir_okay=False)
DataDirOpt = typer.Option(
    None, "--data-dir", help=f"Where the local store lives (default {default_data_dir()}, "
    "or $NETAGENT_DATA_DIR).", file_okay=False)
JsonOpt = typer.Option(False, "--json", help="Machine-readable output on stdout.")


def data_dir(given: Path | None) -> Path:
    return given or default_data_dir()
