"""Place names and fixed locations the sample builder draws from (illustrative data).

The historic-centre places and Lepida PoPs carry approximate real coordinates; the other
names are plausible Italian public places, not a survey of the city.
"""

from __future__ import annotations

# (site name, kind in the CSV's Italian vocabulary, address, lat, lon, APs there)
CENTRE_PLACES: tuple[tuple[str, str, str, float, float, int], ...] = (
    (
        "Piazza Prampolini",
        "piazza",
        "Piazza Camillo Prampolini, 42121 Reggio Emilia",
        44.69770,
        10.63110,
        3,
    ),
    (
        "Municipio",
        "municipio",
        "Piazza Camillo Prampolini 1, 42121 Reggio Emilia",
        44.69745,
        10.63050,
        2,
    ),
    (
        "Piazza del Monte",
        "piazza",
        "Piazza Cesare Battisti, 42121 Reggio Emilia",
        44.69755,
        10.62990,
        2,
    ),
    (
        "Piazza San Prospero",
        "piazza",
        "Piazza San Prospero, 42121 Reggio Emilia",
        44.69810,
        10.63230,
        2,
    ),
    (
        "Piazza della Vittoria",
        "piazza",
        "Piazza della Vittoria, 42121 Reggio Emilia",
        44.69950,
        10.62970,
        2,
    ),
    (
        "Piazza Fontanesi",
        "piazza",
        "Piazza Antonio Fontanesi, 42121 Reggio Emilia",
        44.69530,
        10.62900,
        2,
    ),
    (
        "Biblioteca Panizzi",
        "biblioteca",
        "Via Luigi Carlo Farini 3, 42121 Reggio Emilia",
        44.69890,
        10.63020,
        3,
    ),
    (
        "Teatro Municipale Valli",
        "cultura",
        "Piazza Martiri del 7 Luglio 7, 42121 Reggio Emilia",
        44.69980,
        10.63180,
        1,
    ),
    (
        "Musei Civici",
        "cultura",
        "Via Lazzaro Spallanzani 1, 42121 Reggio Emilia",
        44.70020,
        10.63020,
        1,
    ),
    (
        "Chiostri di San Pietro",
        "cultura",
        "Via Emilia San Pietro 44, 42121 Reggio Emilia",
        44.69840,
        10.63690,
        2,
    ),
    ("Parco del Popolo", "parco", "Viale Allegri, 42121 Reggio Emilia", 44.70130, 10.62860, 0),
    (
        "Piazzale Marconi (Stazione FS)",
        "piazza",
        "Piazzale Guglielmo Marconi, 42122 Reggio Emilia",
        44.69760,
        10.64120,
        2,
    ),
)

# Lepida's city fibre ring, in ring order: (PoP name, address, lat, lon).
RING_POPS: tuple[tuple[str, str, float, float], ...] = (
    (
        "PoP Lepida Municipio",
        "Piazza Camillo Prampolini 1, 42121 Reggio Emilia",
        44.69745,
        10.63050,
    ),
    ("PoP Lepida Santa Croce", "Via Adua, 42124 Reggio Emilia", 44.70520, 10.64780),
    ("PoP Lepida Ospizio", "Via Emilia all'Ospizio, 42122 Reggio Emilia", 44.69180, 10.65020),
    (
        "PoP Lepida Buco del Signore",
        "Via Francesco Petrarca, 42122 Reggio Emilia",
        44.67650,
        10.63850,
    ),
    ("PoP Lepida Rosta Nuova", "Via Monte San Michele, 42121 Reggio Emilia", 44.68780, 10.62950),
    ("PoP Lepida Pieve Modolena", "Via Emilia Ovest, 42124 Reggio Emilia", 44.70640, 10.60520),
)

# Mancasale industrial area: (site, kind, address, lat, lon, switch name).
MANCASALE_NODES: tuple[tuple[str, str, str, float, float, str], ...] = (
    (
        "Stazione AV Mediopadana",
        "other",
        "Viale Città di Genova, 42124 Reggio Emilia",
        44.72470,
        10.65020,
        "sw-mancasale-mediopadana",
    ),
    (
        "Polo industriale Mancasale nord",
        "industrial",
        "Via dell'Industria, 42124 Reggio Emilia",
        44.72900,
        10.64300,
        "sw-mancasale-industria",
    ),
)

COVIOLO_TOWER = ("Torre Coviolo Wireless", "Via Coviolo, 42123 Reggio Emilia", 44.68240, 10.61600)

# Repeaters of the Coviolo star: (slug, label, lat, lon, sector azimuth).
COVIOLO_REPEATERS: tuple[tuple[str, str, float, float, float], ...] = (
    ("nord", "Coviolo nord", 44.69050, 10.61450, 0.0),
    ("sud", "Coviolo sud", 44.67350, 10.61950, 180.0),
    ("canali", "Canali", 44.66750, 10.63250, 150.0),
    ("fogliano", "Fogliano", 44.64850, 10.64450, 150.0),
    ("massenzatico", "Massenzatico", 44.73350, 10.69600, 45.0),
)

PEOPLE = (
    "Gianni Rodari",
    "Carlo Collodi",
    "Giovanni Pascoli",
    "Giosuè Carducci",
    "Alessandro Manzoni",
    "Giacomo Leopardi",
    "Maria Montessori",
    "Don Lorenzo Milani",
    "Dante Alighieri",
    "Galileo Galilei",
    "Guglielmo Marconi",
    "Enrico Fermi",
    "Ludovico Ariosto",
    "Matteo Maria Boiardo",
    "Lazzaro Spallanzani",
    "Loris Malaguzzi",
    "Italo Calvino",
    "Grazia Deledda",
    "Rita Levi-Montalcini",
    "Aldo Moro",
    "Sandro Pertini",
    "Giuseppe Mazzini",
    "Nilde Iotti",
    "Ada Negri",
    "Edmondo De Amicis",
    "Bruno Munari",
    "Piero Calamandrei",
    "Anna Frank",
    "Marco Polo",
    "Leonardo da Vinci",
    "Giuseppe Garibaldi",
    "Camillo Prampolini",
    "Giuseppe Dossetti",
    "Fratelli Cervi",
    "Pablo Neruda",
    "Antonio Ligabue",
    "Primo Levi",
    "Lucio Lombardo Radice",
)

SCHOOL_KINDS = ("Scuola primaria", "Scuola secondaria", "Scuola dell'infanzia", "Nido")

SQUARES = (
    "Piazza della Pace",
    "Piazza della Chiesa",
    "Piazza Antonio Gramsci",
    "Piazza Giacomo Matteotti",
    "Piazza XXV Aprile",
    "Piazza della Repubblica",
    "Piazza della Libertà",
    "Piazza dei Caduti",
    "Piazza Primo Maggio",
)

PARKS = (
    "Parco della Resistenza",
    "Parco dei Tigli",
    "Parco delle Querce",
    "Parco della Musica",
    "Parco del Volontariato",
    "Parco Ferrovia",
    "Giardino pubblico",
    "Parco dei Pioppi",
)

STREETS = (
    "Via Roma",
    "Via Giuseppe Garibaldi",
    "Via Giuseppe Verdi",
    "Via Martiri della Libertà",
    "Via della Repubblica",
    "Via IV Novembre",
    "Via Aldo Moro",
    "Via Sandro Pertini",
    "Via Filippo Turati",
    "Via Giacomo Matteotti",
    "Via della Costituzione",
    "Via dei Mille",
    "Via Giuseppe Di Vittorio",
    "Via Antonio Gramsci",
    "Via Piero Gobetti",
    "Via Fratelli Rosselli",
    "Via Nazario Sauro",
    "Via Cesare Battisti",
)

RESIDENTIAL_STREETS = (
    "Via Coviolo",
    "Via dei Prati",
    "Via del Mulino",
    "Strada Vicinale dei Campi",
    "Via della Chiusa",
    "Via del Canale",
    "Via delle Vigne",
    "Via dei Gelsi",
)

# Alias from the centroid file's names to the Atlante's names, for the ambito look-up.
AMBITO_ALIASES = {"Sesso (Villa Sesso)": "Villa Sesso"}
