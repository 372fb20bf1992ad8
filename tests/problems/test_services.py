"""Domain operations on problems: numbers, priority, assignment, the state table, tasks, notes,
concurrency, and the timeline and outbox rows each one writes."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from incidents.models import PriorityMatrixCell
from notifications.models import Notification
from problems import services
from problems.choices import ResolutionCode, State, TaskCloseCode, TaskState
from problems.models import Problem, ProblemTask
from tests.problems.conftest import make_problem

pytestmark = pytest.mark.django_db


def kinds(problem):
    return [entry.kind for entry in problem.timeline.all()]


def test_create_gives_number_priority_and_timeline(agent, email_service, category_tree):
    problem = make_problem(
        agent, impact=1, urgency=2, service=email_service, category=category_tree["E-mail"]
    )
    assert problem.number.startswith("PRB") and len(problem.number) == 10
    assert problem.priority == 2
    assert problem.state == State.NEW
    assert problem.opened_by == agent
    assert kinds(problem) == ["created"]
    assert Notification.objects.count() == 0  # nobody assigned, nobody told


def test_priority_uses_the_incident_matrix(agent):
    PriorityMatrixCell.objects.filter(impact=3, urgency=3).update(priority=4)
    assert make_problem(agent, impact=3, urgency=3).priority == 4


def test_bad_input_is_a_field_error_and_nothing_is_written(agent):
    with pytest.raises(ValidationError) as info:
        make_problem(agent, short_description="  ")
    assert "short_description" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        make_problem(agent, urgency=9)
    assert "urgency" in info.value.message_dict
    assert Problem.objects.count() == 0


def test_end_user_cannot_create_problems(end_user):
    with pytest.raises(PermissionDenied):
        make_problem(end_user)
    assert Problem.objects.count() == 0


def test_assigning_an_agent_starts_assessment_and_notifies_the_assignee(
    agent, incident_manager, service_desk_group
):
    problem = make_problem(incident_manager)
    services.assign_problem(problem, by=incident_manager, group=service_desk_group, assignee=agent)
    problem.refresh_from_db()
    assert problem.state == State.ASSESS
    assert problem.assigned_to == agent
    assert kinds(problem) == ["created", "assignment", "state_change"]
    rows = list(Notification.objects.values_list("template", "address"))
    assert rows == [("problem_assigned", "agent@example.com")]


def test_assignee_must_be_member_of_the_group(agent, other_group_agent, service_desk_group):
    problem = make_problem(agent)
    with pytest.raises(ValidationError) as info:
        services.assign_problem(problem, by=agent, group=service_desk_group, assignee=other_group_agent)
    assert "assigned_to" in info.value.message_dict


def test_update_recomputes_priority_and_records_the_diff(agent):
    problem = make_problem(agent)
    services.update_problem(problem, by=agent, changes={"impact": 1, "urgency": 1, "root_cause": "Bad cert"})
    problem.refresh_from_db()
    assert problem.priority == 1
    change = problem.timeline.get(kind="field_change")
    assert change.data["priority"] == [5, 1]
    assert change.data["root_cause"] == ["", "Bad cert"]


def test_update_refuses_unknown_fields(agent):
    problem = make_problem(agent)
    with pytest.raises(ValidationError) as info:
        services.update_problem(problem, by=agent, changes={"state": "closed"})
    assert "state" in info.value.message_dict


def test_stale_version_is_refused(agent):
    problem = make_problem(agent)
    old_version = problem.version
    services.update_problem(problem, by=agent, changes={"description": "first"})
    with pytest.raises(services.StaleProblemError):
        services.update_problem(
            problem, by=agent, changes={"description": "second"}, expected_version=old_version
        )
    problem.refresh_from_db()
    assert problem.description == "first"


def walk_to_fix(problem, by, *, root_cause="Certificate expired"):
    services.transition_problem(problem, by=by, state=State.ASSESS)
    services.transition_problem(problem, by=by, state=State.ROOT_CAUSE_ANALYSIS)
    services.update_problem(problem, by=by, changes={"root_cause": root_cause})
    services.transition_problem(problem, by=by, state=State.FIX_IN_PROGRESS)
    return problem


def test_full_lifecycle_writes_one_state_entry_per_move(agent):
    problem = walk_to_fix(make_problem(agent), agent)
    services.resolve_problem(
        problem,
        by=agent,
        resolution_code=ResolutionCode.FIX_APPLIED,
        fix_description="Renewed",
        resolve_incidents=False,
    )
    services.close_problem(problem, by=agent)
    problem.refresh_from_db()
    assert problem.state == State.CLOSED
    assert problem.resolved_by == agent and problem.resolved_at and problem.closed_at
    moves = [e.data["state"] for e in problem.timeline.filter(kind="state_change")]
    assert moves == [
        ["new", "assess"],
        ["assess", "root_cause_analysis"],
        ["root_cause_analysis", "fix_in_progress"],
        ["fix_in_progress", "resolved"],
        ["resolved", "closed"],
    ]


def test_fix_in_progress_without_root_cause_or_workaround_is_refused(agent):
    problem = make_problem(agent)
    services.transition_problem(problem, by=agent, state=State.ASSESS)
    services.transition_problem(problem, by=agent, state=State.ROOT_CAUSE_ANALYSIS)
    with pytest.raises(ValidationError) as info:
        services.transition_problem(problem, by=agent, state=State.FIX_IN_PROGRESS)
    assert {"root_cause", "workaround"} <= set(info.value.message_dict)
    problem.refresh_from_db()
    assert problem.state == State.ROOT_CAUSE_ANALYSIS


def test_forbidden_move_is_refused(agent):
    problem = make_problem(agent)
    with pytest.raises(ValidationError) as info:
        services.transition_problem(problem, by=agent, state=State.CLOSED)
    assert "state" in info.value.message_dict


def test_only_problem_managers_reanalyze_a_closed_problem(agent, problem_manager):
    problem = make_problem(agent)
    services.transition_problem(problem, by=agent, state=State.ASSESS)
    services.resolve_problem(
        problem,
        by=agent,
        resolution_code="duplicate",
        fix_description="Same as PRB1",
        resolve_incidents=False,
    )
    services.close_problem(problem, by=agent)
    with pytest.raises(ValidationError):
        services.reanalyze_problem(problem, by=agent, reason="It came back")
    services.reanalyze_problem(problem, by=problem_manager, reason="It came back")
    problem.refresh_from_db()
    assert problem.state == State.ROOT_CAUSE_ANALYSIS
    assert problem.closed_at is None and problem.resolution_code == ""
    assert problem.timeline.filter(kind="state_change").last().data["reanalyzed"] is True


def test_closing_cancels_open_tasks(agent, service_desk_group):
    problem = make_problem(agent)
    services.transition_problem(problem, by=agent, state=State.ASSESS)
    open_task = services.create_task(problem, by=agent, short_description="Collect relay logs")
    done = services.create_task(problem, by=agent, short_description="Check certificate")
    services.transition_task(done, by=agent, state=TaskState.CLOSED, close_code=TaskCloseCode.COMPLETE)
    services.cancel_problem(problem, by=agent, reason="Not a problem after all")
    open_task.refresh_from_db()
    done.refresh_from_db()
    assert (open_task.state, open_task.close_code) == (TaskState.CLOSED, TaskCloseCode.CANCELLED)
    assert done.close_code == TaskCloseCode.COMPLETE
    entry = problem.timeline.filter(kind="state_change").last()
    assert entry.data["tasks_cancelled"] == [open_task.number]


def test_tasks_get_numbers_assignment_notifications_and_timeline(agent, incident_manager, service_desk_group):
    problem = make_problem(incident_manager)
    task = services.create_task(
        problem,
        by=incident_manager,
        short_description="Reproduce in test",
        assignment_group=service_desk_group,
        assigned_to=agent,
    )
    assert task.number.startswith("PTASK")
    assert task.state == TaskState.IN_PROGRESS
    assert (
        Notification.objects.filter(template="problem_task_assigned", address="agent@example.com").count()
        == 1
    )
    services.transition_task(
        task, by=agent, state=TaskState.CLOSED, close_code="complete", close_notes="Reproduced"
    )
    services.transition_task(task, by=agent, state=TaskState.OPEN)  # re-assess
    task.refresh_from_db()
    assert task.state == TaskState.OPEN and task.close_code == "" and task.closed_at is None
    entries = [(e.kind, e.data.get("task")) for e in problem.timeline.exclude(kind="created")]
    assert entries == [("state_change", task.number), ("state_change", task.number)]
    assert problem.timeline.filter(kind="created", data__task=task.number).exists()


def test_task_close_needs_a_close_code(agent):
    task = services.create_task(make_problem(agent), by=agent, short_description="x")
    with pytest.raises(ValidationError) as info:
        services.transition_task(task, by=agent, state=TaskState.CLOSED)
    assert "close_code" in info.value.message_dict
    assert ProblemTask.objects.get(pk=task.pk).state == TaskState.OPEN


def test_notes_are_recorded_and_empty_notes_refused(agent):
    problem = make_problem(agent)
    services.add_note(problem, by=agent, body="Looked at the relay logs")
    services.add_note(problem, by=agent, body="Heads-up for the desk", kind="comment")
    assert kinds(problem) == ["created", "work_note", "comment"]
    with pytest.raises(ValidationError):
        services.add_note(problem, by=agent, body=" ")
