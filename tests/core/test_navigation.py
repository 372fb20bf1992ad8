from core.navigation import entries_for


def active(area, user, path):
    return [item["name"] for item in entries_for(area, user, path) if item["active"]]


def test_only_the_most_specific_entry_is_current(db, agent, end_user):
    assert active("agent", agent, "/agent/") == ["agent-home"]
    assert active("agent", agent, "/agent/incidents/INC0001000/") == ["incidents:agent-queue"]
    assert active("portal", end_user, "/portal/incidents/new/") == ["incidents:portal-report"]
    assert active("portal", end_user, "/portal/incidents/INC0001000/") == ["incidents:portal-list"]
    assert active("portal", end_user, "/somewhere/else/") == []
