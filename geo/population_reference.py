"""The comune's own resident count, shown beside the residents the figures rest on.

Reggio nell'Emilia (ISTAT 035033): 172,182 residents on 31 August 2024, ISTAT's monthly
demographic balance as quoted by the it.wikipedia page "Reggio Emilia" (infobox;
CC BY-SA). Kept apart from netagent.geo.population so the config can default to it without
importing the geometry code.
"""

COMUNE_POPULATION = 172_182
COMUNE_POPULATION_DATE = "2024-08-31"
COMUNE_POPULATION_SOURCE = "ISTAT demographic balance, via it.wikipedia 'Reggio Emilia'"
