"""The `[coverage]` config section: radii, corridor width, CRS, grid and population."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from netagent.inventory.sample import (
    COMUNE_POPULATION,
    COMUNE_POPULATION_DATE,
    COMUNE_POPULATION_SOURCE,
)


class CoverageConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    ap_radius_indoor_m: float = Field(
        default=30.0,
        gt=0,
        le=5000,
        description="Coverage radius of an indoor access point without its own coverage_radius_m.",
    )
    ap_radius_outdoor_m: float = Field(
        default=100.0,
        gt=0,
        le=5000,
        description="Coverage radius of an outdoor access point without its own coverage_radius_m.",
    )
    fibre_corridor_m: float = Field(
        default=50.0,
        gt=0,
        le=5000,
        description="Half-width of the service corridor around a fibre path: buildings within "
        "this distance can be connected to the segment.",
    )
    base_station_radius_m: float = Field(
        default=2000.0,
        gt=0,
        le=30000,
        description="Radius served by a base station that has no sector in the inventory.",
    )
    crs: str = Field(
        default="EPSG:25832",
        description="Metric CRS in which areas, discs and corridors are computed "
        "(default ETRS89 / UTM 32N, which covers the bundled sample's Reggio Emilia and "
        "northern and central Italy west of 12°E).",
    )
    rim_error_m: float = Field(
        default=1.0,
        gt=0,
        le=100,
        description="Largest distance between the edge of a disc, sector or corridor "
        "polygon and its true circle: each element gets as many vertices as its radius "
        "needs (a 100 m AP ~20, a 2.5 km base station ~92). Discs and sectors also have "
        "their exact area, corridors within 0.1%.",
    )
    circle_vertices: int = Field(
        default=8,
        ge=4,
        le=1024,
        description="Fewest vertices of any disc polygon (more where rim_error_m needs them).",
    )
    cell_size_m: float = Field(
        default=6000.0,
        gt=0,
        description="Side of the largest grid cells each quartiere is cut into, so a change "
        "of one device recomputes only the cells it touches.",
    )
    cell_max_elements: int = Field(
        default=800,
        ge=1,
        description="A cell reached by more coverage elements than this is split in four "
        "(down to 1/64 of cell_size_m): small unions where the network is dense.",
    )
    population_file: str | None = Field(
        default=None,
        description="Population layer replacing the uniform-density assumption: ISTAT "
        "census sections or a grid (polygons, counts spread over their area) or points, "
        "as GeoJSON (any declared CRS) or a Shapefile with its .prj.",
    )
    population_property: str = Field(
        default="population",
        description="Field of population_file holding the resident count (ISTAT census "
        "sections: e.g. POP21 or P1).",
    )
    comune_population: int | None = Field(
        default=COMUNE_POPULATION,
        ge=0,
        description="The comune's official resident count, shown beside the residents "
        "the figures rest on; 0 when not known. The default is the bundled sample's comune "
        "(Reggio nell'Emilia, ISTAT): set it, with its date and source, for another comune.",
    )
    comune_population_date: str = Field(
        default=COMUNE_POPULATION_DATE,
        description="Date of comune_population (default: the sample's).",
    )
    comune_population_source: str = Field(
        default=COMUNE_POPULATION_SOURCE,
        description="Where comune_population comes from (default: the sample's).",
    )
    up_states: list[str] = Field(
        default_factory=lambda: ["up", "degraded"],
        description="device_status states counted as serving in live coverage; any other "
        "state, or no status at all, counts as not serving.",
    )
