"""Pure rules of change enablement: the state machine per change type, risk scoring and the
approval decision policies. No I/O here: services.py applies these rules to the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from changes.choices import (
    ApprovalPolicy,
    ApprovalState,
    ApprovalStatus,
    BackoutPlan,
    ChangeState,
    ChangeType,
    Complexity,
    Experience,
    Outcome,
    Risk,
    Tested,
    UserImpact,
)

S = ChangeState

# --- State machine -------------------------------------------------------------------------------
#
# One table per change type; the only place that says which state may follow which. Guards that
# need data (approval granted, plans filled in, an outcome given) are checked by the services
# on top of this table. Cancelling is possible from every state before Review (ITIL/ServiceNow:
# once implemented a change is reviewed, not cancelled).

TRANSITIONS: dict[str, dict[str, frozenset[str]]] = {
    ChangeType.NORMAL: {
        S.NEW: frozenset({S.ASSESS, S.CANCELLED}),
        S.ASSESS: frozenset({S.AUTHORIZE, S.NEW, S.CANCELLED}),
        S.AUTHORIZE: frozenset({S.SCHEDULED, S.NEW, S.CANCELLED}),
        S.SCHEDULED: frozenset({S.IMPLEMENT, S.NEW, S.CANCELLED}),
        S.IMPLEMENT: frozenset({S.REVIEW, S.CANCELLED}),
        S.REVIEW: frozenset({S.CLOSED}),
        S.CLOSED: frozenset(),
        S.CANCELLED: frozenset(),
    },
    # Pre-approved: no assessment and no authorisation, ever. A successful standard change may
    # close straight from Implement (the CI/CD case); any other outcome goes through Review.
    ChangeType.STANDARD: {
        S.NEW: frozenset({S.SCHEDULED, S.CANCELLED}),
        S.SCHEDULED: frozenset({S.IMPLEMENT, S.CANCELLED}),
        S.IMPLEMENT: frozenset({S.REVIEW, S.CLOSED, S.CANCELLED}),
        S.REVIEW: frozenset({S.CLOSED}),
        S.CLOSED: frozenset(),
        S.CANCELLED: frozenset(),
    },
    # Expedited: straight to the ECAB, and may be implemented before the ECAB has decided
    # (Authorize → Implement); the approval is then recorded retrospectively.
    ChangeType.EMERGENCY: {
        S.NEW: frozenset({S.AUTHORIZE, S.CANCELLED}),
        S.AUTHORIZE: frozenset({S.SCHEDULED, S.IMPLEMENT, S.NEW, S.CANCELLED}),
        S.SCHEDULED: frozenset({S.IMPLEMENT, S.NEW, S.CANCELLED}),
        S.IMPLEMENT: frozenset({S.REVIEW, S.CANCELLED}),
        S.REVIEW: frozenset({S.CLOSED}),
        S.CLOSED: frozenset(),
        S.CANCELLED: frozenset(),
    },
}


def states_of(change_type: str) -> tuple[str, ...]:
    """The states a change of this type can ever be in, in lifecycle order."""
    return tuple(state for state in ChangeState.values if state in TRANSITIONS[change_type])


def allowed_transitions(change_type: str, state: str) -> frozenset[str]:
    return TRANSITIONS[change_type].get(state, frozenset())


def can_transition(change_type: str, from_state: str, to_state: str) -> bool:
    return to_state in allowed_transitions(change_type, from_state)


def reachable_states(change_type: str, start: str = S.NEW) -> set[str]:
    """Every state reachable from ``start`` through the table (used to prove properties)."""
    seen, todo = {start}, [start]
    while todo:
        for nxt in allowed_transitions(change_type, todo.pop()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def close_target(change_type: str, outcome: str) -> str:
    """Where closing a change from Implement leads: only a successful standard change skips
    the post-implementation review; every other outcome or type is reviewed first."""
    if change_type == ChangeType.STANDARD and outcome == Outcome.SUCCESSFUL:
        return S.CLOSED
    return S.REVIEW


# --- Risk ----------------------------------------------------------------------------------------
#
# A short questionnaire; each answer scores points, the total maps onto low / medium / high.
# The worst single answers (many users affected, no backout plan) weigh more than the others.

RISK_QUESTIONS: dict[str, dict[str, int]] = {
    "user_impact": {UserImpact.NONE: 0, UserImpact.SOME: 1, UserImpact.MANY: 3},
    "complexity": {Complexity.LOW: 0, Complexity.MEDIUM: 1, Complexity.HIGH: 2},
    "tested": {Tested.YES: 0, Tested.PARTIALLY: 1, Tested.NO: 2},
    "backout_plan": {BackoutPlan.YES: 0, BackoutPlan.NO: 3},
    "experience": {Experience.ROUTINE: 0, Experience.SOME: 1, Experience.NONE: 2},
}
RISK_MEDIUM_FROM = 3  # total score 0-2 is low
RISK_HIGH_FROM = 6  # 3-5 medium, 6-12 high


class RiskAnswersError(ValueError):
    """Answers that do not fit the questionnaire; ``errors`` maps question → message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


def risk_score(answers: Mapping[str, str]) -> int:
    errors = {}
    total = 0
    for question, scores in RISK_QUESTIONS.items():
        answer = answers.get(question)
        if answer not in scores:
            errors[question] = "missing" if answer in (None, "") else f"unknown answer {answer!r}"
            continue
        total += scores[answer]
    if errors:
        raise RiskAnswersError(errors)
    return total


def risk_from_score(score: int) -> str:
    if score >= RISK_HIGH_FROM:
        return Risk.HIGH
    if score >= RISK_MEDIUM_FROM:
        return Risk.MEDIUM
    return Risk.LOW


def calculate_risk(answers: Mapping[str, str]) -> str:
    """low / medium / high from the questionnaire's answers (raises RiskAnswersError)."""
    return risk_from_score(risk_score(answers))


# --- Approvals -----------------------------------------------------------------------------------


def requirement_outcome(policy: str, quorum: int | None, decisions: Iterable[str]) -> str:
    """Decide one approval requirement from its approvers' row states.

    - ``all``: approved when every approver approved; rejected at the first rejection.
    - ``any``: the first decision decides, approval or rejection.
    - ``quorum``: approved once ``quorum`` approvers approved; rejected as soon as the approvers
      still undecided can no longer bring the approvals up to the quorum.

    Rows that are ``not_required`` count as neither. Returns an ApprovalStatus value:
    requested (still open), approved or rejected.
    """
    states = [d for d in decisions if d != ApprovalState.NOT_REQUIRED]
    approved = sum(1 for d in states if d == ApprovalState.APPROVED)
    rejected = sum(1 for d in states if d == ApprovalState.REJECTED)
    pending = sum(1 for d in states if d == ApprovalState.REQUESTED)
    if policy == ApprovalPolicy.ALL:
        if rejected:
            return ApprovalStatus.REJECTED
        return ApprovalStatus.APPROVED if pending == 0 and approved else ApprovalStatus.REQUESTED
    if policy == ApprovalPolicy.ANY:
        # With several rows decided in one step, a rejection wins: nobody approves over an
        # objection made at the same moment.
        if rejected:
            return ApprovalStatus.REJECTED
        return ApprovalStatus.APPROVED if approved else ApprovalStatus.REQUESTED
    if policy == ApprovalPolicy.QUORUM:
        need = quorum or 1
        if approved >= need:
            return ApprovalStatus.APPROVED
        if approved + pending < need:
            return ApprovalStatus.REJECTED
        return ApprovalStatus.REQUESTED
    raise ValueError(f"unknown approval policy {policy!r}")


def overall_outcome(requirement_outcomes: Iterable[str]) -> str:
    """The change is approved when every requirement is, rejected when any one is."""
    outcomes = list(requirement_outcomes)
    if not outcomes:
        return ApprovalStatus.REQUESTED
    if ApprovalStatus.REJECTED in outcomes:
        return ApprovalStatus.REJECTED
    if all(o == ApprovalStatus.APPROVED for o in outcomes):
        return ApprovalStatus.APPROVED
    return ApprovalStatus.REQUESTED


@dataclass(frozen=True)
class RuleSpec:
    """What an approval rule matches on (empty = any)."""

    change_type: str
    risk: str


def rule_matches(rule: RuleSpec, change_type: str, risk: str) -> bool:
    return (not rule.change_type or rule.change_type == change_type) and (not rule.risk or rule.risk == risk)
