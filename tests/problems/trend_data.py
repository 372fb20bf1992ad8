"""Seeded data for the trend detection tests: three planted clusters hidden among noise.

Each row is (key, short description, service key, category key, configuration item, days ago).
Keys name the planted clusters ("printer", "vpn", "drive"); noise rows have the key None.
"""

from __future__ import annotations

import random

PLANTED = {
    # Same category (Hardware > Printer), different services and callers.
    "printer": [
        ("Printer on floor 3 jams paper", None, "printer", ""),
        ("Paper jam in the floor 3 printer", None, "printer", ""),
        ("Floor 3 printer keeps jamming paper", "email", "printer", ""),
        ("Printer floor 3: paper jammed again", None, "printer", ""),
        ("Paper jams on the floor 3 printer", None, "printer", ""),
    ],
    # Same service (VPN), categories differ.
    "vpn": [
        ("VPN disconnects every few minutes", "vpn", "network", ""),
        ("VPN keeps disconnecting from home", "vpn", None, ""),
        ("VPN connection drops and disconnects", "vpn", "software", ""),
        ("Disconnected from the VPN repeatedly", "vpn", None, ""),
    ],
    # Same configuration item, nothing else in common.
    "drive": [
        ("Shared drive extremely slow", None, "software", "SRV-FILE-01"),
        ("Shared drive slow when opening files", "email", None, "srv-file-01"),
        ("Opening files on the shared drive is slow", None, "network", "SRV-FILE-01"),
        ("Very slow shared drive", None, None, "SRV-FILE-01 "),
        ("Slow shared drive since this morning", "vpn", "printer", "SRV-FILE-01"),
        ("Shared drive files slow to load", None, None, "SRV-FILE-01"),
    ],
}

# Things that look like trends but are not: too few, nothing shared, or too old.
DECOYS = [
    # Only two alike in one category: below the minimum size.
    ("Teams camera shows a black picture", None, "software", "", 2),
    ("Teams camera black picture in meetings", None, "software", "", 3),
    # Alike, but no service, category or CI in common.
    ("Outlook crashes on start", "email", "network", "", 1),
    ("Outlook crashes on start", "vpn", "printer", "", 2),
    ("Outlook crashes on start", None, "software", "", 4),
]
OLD = [
    # A real cluster, but outside a 14-day window.
    ("Badge reader at the entrance rejects badges", None, "network", "", 30),
    ("Entrance badge reader rejects my badge", None, "network", "", 31),
    ("Badge reader entrance rejects badges again", None, "network", "", 32),
]

NOUNS = """
monitor keyboard mouse headset webcam laptop docking-station charger projector whiteboard scanner
smartphone tablet calendar spreadsheet presentation database firewall router switch certificate
licence subscription mailbox distribution-list signature template macro plugin browser bookmark
password-manager token authenticator badge-printer locker parking-permit desk-booking coffee-machine
intranet wiki timesheet expense-report payslip holiday-request onboarding offboarding contract invoice
purchase-order supplier inventory asset-tag barcode label shipping courier fax telephone voicemail
conference-room microphone speaker display
""".split()
ADJECTIVES = """
broken missing requested needed replaced updated ordered renewed blocked lost unavailable incorrect
""".split()
SERVICES = ["email", "vpn", None, None]
CATEGORIES = ["printer", "network", "software", None]


def noise(count: int = 60, seed: int = 7) -> list[tuple]:
    """``count`` unrelated incidents: distinct subjects, random services, categories and days."""
    rng = random.Random(seed)
    nouns = rng.sample(NOUNS, count)
    rows = []
    for noun in nouns:
        text = f"{noun.replace('-', ' ').capitalize()} {rng.choice(ADJECTIVES)}"
        rows.append((None, text, rng.choice(SERVICES), rng.choice(CATEGORIES), "", rng.randint(0, 13)))
    return rows


def rows(seed: int = 7) -> list[tuple]:
    """Planted clusters, decoys, old incidents and noise, shuffled deterministically."""
    data = [
        (key, text, svc, cat, ci, index % 10)
        for key, items in PLANTED.items()
        for index, (text, svc, cat, ci) in enumerate(items)
    ]
    data += [(None, *row) for row in DECOYS]
    data += [("old", *row) for row in OLD]
    data += noise(seed=seed)
    random.Random(seed).shuffle(data)
    return data
