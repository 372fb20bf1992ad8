"""Pure rules, no database: the state machine per type, the risk table and approval policies."""

import pytest

from changes import rules
from changes.choices import ApprovalPolicy, ApprovalState, ApprovalStatus, ChangeState, ChangeType, Outcome

S = ChangeState
A = ApprovalState


def test_standard_change_never_enters_assess_or_authorize():
    reachable = rules.reachable_states(ChangeType.STANDARD)
    assert S.AUTHORIZE not in reachable
    assert S.ASSESS not in reachable
    assert reachable == {S.NEW, S.SCHEDULED, S.IMPLEMENT, S.REVIEW, S.CLOSED, S.CANCELLED}


def test_standard_change_goes_from_new_straight_to_scheduled():
    assert rules.allowed_transitions(ChangeType.STANDARD, S.NEW) == {S.SCHEDULED, S.CANCELLED}


def test_normal_change_reaches_every_state_in_order():
    assert rules.reachable_states(ChangeType.NORMAL) == set(S.values)
    assert rules.can_transition(ChangeType.NORMAL, S.NEW, S.ASSESS)
    assert rules.can_transition(ChangeType.NORMAL, S.ASSESS, S.AUTHORIZE)
    assert rules.can_transition(ChangeType.NORMAL, S.AUTHORIZE, S.SCHEDULED)


@pytest.mark.parametrize("from_state", [S.NEW, S.ASSESS])
def test_normal_change_cannot_be_scheduled_before_authorize(from_state):
    assert not rules.can_transition(ChangeType.NORMAL, from_state, S.SCHEDULED)


def test_normal_change_cannot_skip_assessment_or_implement_before_scheduling():
    assert not rules.can_transition(ChangeType.NORMAL, S.NEW, S.AUTHORIZE)
    assert not rules.can_transition(ChangeType.NORMAL, S.AUTHORIZE, S.IMPLEMENT)
    assert not rules.can_transition(ChangeType.NORMAL, S.IMPLEMENT, S.CLOSED)


def test_emergency_change_skips_assess_and_may_implement_from_authorize():
    assert S.ASSESS not in rules.reachable_states(ChangeType.EMERGENCY)
    assert rules.can_transition(ChangeType.EMERGENCY, S.NEW, S.AUTHORIZE)
    assert rules.can_transition(ChangeType.EMERGENCY, S.AUTHORIZE, S.IMPLEMENT)


@pytest.mark.parametrize("change_type", ChangeType.values)
def test_cancel_only_before_review_and_terminal_states_are_final(change_type):
    for state in rules.states_of(change_type):
        cancellable = rules.can_transition(change_type, state, S.CANCELLED)
        assert cancellable == (state not in (S.REVIEW, S.CLOSED, S.CANCELLED)), state
    assert rules.allowed_transitions(change_type, S.CLOSED) == frozenset()
    assert rules.allowed_transitions(change_type, S.CANCELLED) == frozenset()


@pytest.mark.parametrize(
    ("change_type", "outcome", "target"),
    [
        (ChangeType.STANDARD, Outcome.SUCCESSFUL, S.CLOSED),
        (ChangeType.STANDARD, Outcome.SUCCESSFUL_WITH_ISSUES, S.REVIEW),
        (ChangeType.STANDARD, Outcome.FAILED, S.REVIEW),
        (ChangeType.STANDARD, Outcome.BACKED_OUT, S.REVIEW),
        (ChangeType.NORMAL, Outcome.SUCCESSFUL, S.REVIEW),
        (ChangeType.EMERGENCY, Outcome.SUCCESSFUL, S.REVIEW),
    ],
)
def test_only_a_successful_standard_change_closes_without_review(change_type, outcome, target):
    assert rules.close_target(change_type, outcome) == target


BEST = {
    "user_impact": "none",
    "complexity": "low",
    "tested": "yes",
    "backout_plan": "yes",
    "experience": "routine",
}


@pytest.mark.parametrize(
    ("changes", "score", "risk"),
    [
        ({}, 0, "low"),
        ({"complexity": "medium", "experience": "some"}, 2, "low"),
        ({"user_impact": "some", "tested": "partially"}, 2, "low"),
        ({"user_impact": "many"}, 3, "medium"),
        ({"backout_plan": "no"}, 3, "medium"),
        ({"tested": "no", "experience": "some"}, 3, "medium"),
        ({"complexity": "high", "tested": "no", "experience": "some"}, 5, "medium"),
        ({"user_impact": "many", "backout_plan": "no"}, 6, "high"),
        ({"user_impact": "many", "complexity": "high", "tested": "partially"}, 6, "high"),
        ({"complexity": "high", "tested": "no", "experience": "none"}, 6, "high"),
        (
            {
                "user_impact": "many",
                "complexity": "high",
                "tested": "no",
                "backout_plan": "no",
                "experience": "none",
            },
            12,
            "high",
        ),
    ],
)
def test_risk_calculation_table(changes, score, risk):
    answers = {**BEST, **changes}
    assert rules.risk_score(answers) == score
    assert rules.calculate_risk(answers) == risk


def test_risk_needs_every_answer_and_known_values():
    with pytest.raises(rules.RiskAnswersError) as excinfo:
        rules.calculate_risk({**BEST, "tested": "", "experience": "weekly"})
    assert set(excinfo.value.errors) == {"tested", "experience"}


@pytest.mark.parametrize(
    ("policy", "quorum", "decisions", "expected"),
    [
        # all: every approver, any rejection rejects
        (ApprovalPolicy.ALL, None, [A.APPROVED, A.REQUESTED], ApprovalStatus.REQUESTED),
        (ApprovalPolicy.ALL, None, [A.APPROVED, A.APPROVED], ApprovalStatus.APPROVED),
        (ApprovalPolicy.ALL, None, [A.APPROVED, A.REJECTED, A.REQUESTED], ApprovalStatus.REJECTED),
        (ApprovalPolicy.ALL, None, [A.APPROVED, A.NOT_REQUIRED], ApprovalStatus.APPROVED),
        # any: the first decision decides
        (ApprovalPolicy.ANY, None, [A.REQUESTED, A.REQUESTED], ApprovalStatus.REQUESTED),
        (ApprovalPolicy.ANY, None, [A.APPROVED, A.REQUESTED], ApprovalStatus.APPROVED),
        (ApprovalPolicy.ANY, None, [A.REQUESTED, A.REJECTED], ApprovalStatus.REJECTED),
        # quorum: N approvals; rejected once N is out of reach
        (ApprovalPolicy.QUORUM, 2, [A.APPROVED, A.REQUESTED, A.REQUESTED], ApprovalStatus.REQUESTED),
        (ApprovalPolicy.QUORUM, 2, [A.APPROVED, A.APPROVED, A.REQUESTED], ApprovalStatus.APPROVED),
        (ApprovalPolicy.QUORUM, 2, [A.APPROVED, A.REJECTED, A.REQUESTED], ApprovalStatus.REQUESTED),
        (ApprovalPolicy.QUORUM, 2, [A.REJECTED, A.REJECTED, A.REQUESTED], ApprovalStatus.REJECTED),
        (ApprovalPolicy.QUORUM, 2, [A.APPROVED, A.REJECTED, A.REJECTED], ApprovalStatus.REJECTED),
        (ApprovalPolicy.QUORUM, 3, [A.APPROVED, A.APPROVED, A.REJECTED, A.APPROVED], ApprovalStatus.APPROVED),
    ],
)
def test_requirement_outcome_per_policy(policy, quorum, decisions, expected):
    assert rules.requirement_outcome(policy, quorum, decisions) == expected


def test_overall_outcome_needs_every_requirement_and_any_rejection_rejects():
    R = ApprovalStatus
    assert rules.overall_outcome([R.APPROVED, R.APPROVED]) == R.APPROVED
    assert rules.overall_outcome([R.APPROVED, R.REQUESTED]) == R.REQUESTED
    assert rules.overall_outcome([R.REQUESTED, R.REJECTED]) == R.REJECTED
    assert rules.overall_outcome([]) == R.REQUESTED


@pytest.mark.parametrize(
    ("rule_type", "rule_risk", "change_type", "risk", "matches"),
    [
        ("", "", "normal", "high", True),
        ("normal", "low", "normal", "low", True),
        ("normal", "low", "normal", "high", False),
        ("emergency", "", "emergency", "", True),
        ("emergency", "", "normal", "low", False),
    ],
)
def test_rule_matching(rule_type, rule_risk, change_type, risk, matches):
    assert rules.rule_matches(rules.RuleSpec(rule_type, rule_risk), change_type, risk) is matches
