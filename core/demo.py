"""Demo organisation: desks, groups, organisations, agents and end users. Idempotent."""

from __future__ import annotations

from django.contrib.auth.models import Group

from core import roles
from core.choices import LineLevel
from core.models import Category, Desk, Organization, SupportGroup, User

DEMO_PASSWORD = "demo"

# username, first, last, roles, language, organisation
PEOPLE = [
    ("admin", "Ada", "Admin", [roles.ADMINISTRATOR], "en", None),
    ("agent", "Alex", "Andersson", [roles.AGENT], "en", None),
    ("agent2", "Sara", "Lind", [roles.AGENT], "sv", None),
    ("network", "Nils", "Berg", [roles.AGENT], "sv", None),
    ("apps", "Priya", "Shah", [roles.AGENT], "en", None),
    ("infra", "Johan", "Ek", [roles.AGENT], "sv", None),
    ("hragent", "Hanna", "Holm", [roles.AGENT], "sv", None),
    ("incmgr", "Ingrid", "Manager", [roles.AGENT, roles.INCIDENT_MANAGER], "en", None),
    ("chgmgr", "Carl", "Change", [roles.AGENT, roles.CHANGE_MANAGER], "en", None),
    ("slmgr", "Stina", "Levels", [roles.AGENT, roles.SERVICE_LEVEL_MANAGER], "sv", None),
    ("kbmgr", "Karin", "Knowledge", [roles.AGENT, roles.KNOWLEDGE_MANAGER], "en", None),
    ("alice", "Alice", "Nilsson", [], "en", "Acme Logistics"),
    ("bob", "Bob", "Karlsson", [], "sv", "Acme Logistics"),
    ("carol", "Carol", "Svensson", [], "en", "Nordic Finance"),
    ("dave", "Dave", "Olsson", [], "sv", "Nordic Finance"),
]

GROUPS = [
    # name, desk slug, line, members, manager
    ("Service Desk", "it", LineLevel.FIRST, ["agent", "agent2", "incmgr"], "incmgr"),
    ("Network", "it", LineLevel.SECOND, ["network"], "incmgr"),
    ("Applications", "it", LineLevel.SECOND, ["apps", "kbmgr"], "incmgr"),
    ("Infrastructure", "it", LineLevel.THIRD, ["infra", "chgmgr"], "chgmgr"),
    ("HR Service Desk", "hr", LineLevel.FIRST, ["hragent"], "slmgr"),
    ("Payroll", "hr", LineLevel.SECOND, ["hragent", "slmgr"], "slmgr"),
]

# desk slug -> its first-line group, which receives incidents that no routing rule matches
DEFAULT_GROUPS = {"it": "Service Desk", "hr": "HR Service Desk"}

CATEGORIES = {
    "Hardware": ["Printer", "PC", "Server"],
    "Network": ["VPN", "Wi-Fi"],
    "Software": ["Application", "E-mail"],
    "Access": ["Password", "Permissions"],
    "HR": ["Payroll", "Onboarding"],
}


def seed(stdout=None) -> dict:
    orgs = {}
    for name, domain, share in [
        ("Acme Logistics", "acme.example", True),
        ("Nordic Finance", "nordic.example", False),
    ]:
        orgs[name], _ = Organization.objects.update_or_create(
            name=name, defaults={"email_domain": domain, "share_tickets": share}
        )

    users = {}
    for username, first, last, role_list, language, org in PEOPLE:
        domain = orgs[org].email_domain if org else "itsm.example"
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@{domain}",
                "language": language,
                "organization": orgs.get(org),
                "is_staff": roles.ADMINISTRATOR in role_list,
                "is_superuser": roles.ADMINISTRATOR in role_list,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        if role_list:
            user.groups.add(*Group.objects.filter(name__in=role_list))
        users[username] = user

    desks = {}
    for slug, name, email, language in [
        ("it", "IT Service Desk", "it-servicedesk@itsm.example", "en"),
        ("hr", "HR Service Desk", "hr-servicedesk@itsm.example", "sv"),
    ]:
        desks[slug], _ = Desk.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "email": email,
                "language": language,
                "time_zone": "Europe/Stockholm",
                "duty_manager": users["incmgr"] if slug == "it" else users["slmgr"],
            },
        )

    groups = {}
    for name, desk, line, members, manager in GROUPS:
        group, _ = SupportGroup.objects.update_or_create(
            name=name,
            defaults={
                "desk": desks[desk],
                "line_level": line,
                "manager": users[manager],
                "email": f"{name.lower().replace(' ', '-')}@itsm.example",
            },
        )
        group.members.add(*[users[m] for m in members])
        groups[name] = group

    # What no routing rule matches lands in the desk's first-line queue.
    for slug, group_name in DEFAULT_GROUPS.items():
        desk = desks[slug]
        if desk.default_group_id != groups[group_name].pk:
            desk.default_group = groups[group_name]
            desk.save(update_fields=["default_group"])

    categories = {}
    for parent_name, children in CATEGORIES.items():
        parent, _ = Category.objects.get_or_create(name=parent_name, parent=None)
        categories[parent_name] = parent
        for child in children:
            categories[f"{parent_name} > {child}"], _ = Category.objects.get_or_create(
                name=child, parent=parent
            )

    return {"users": users, "desks": desks, "groups": groups, "orgs": orgs, "categories": categories}
