"""Who is told what about a problem, through the outbox, in each recipient's language.

Problems are internal: only agents (assignees, groups) are notified from here. Callers of linked
incidents hear about a problem's resolution through their incident's own notifications.
"""

from __future__ import annotations

from django.conf import settings

from notifications.services import group_recipients, notify, notify_many


def _context(problem, **extra) -> dict:
    return {
        "number": problem.number,
        "short_description": problem.short_description,
        "state": problem.state,
        "priority": problem.priority,
        "group": str(problem.assignment_group) if problem.assignment_group_id else "",
        "assignee": str(problem.assigned_to) if problem.assigned_to_id else "",
        "agent_url": f"{settings.SITE_URL}{problem.get_absolute_url()}",
        **extra,
    }


def problem_assigned(problem, *, by) -> None:
    key = f"problem:{problem.pk}:assigned:v{problem.version}"
    context = _context(problem, assigned_by=str(by))
    if problem.assigned_to_id and problem.assigned_to_id != by.pk:
        notify(
            template="problem_assigned",
            to=problem.assigned_to,
            context=context,
            dedupe_key=f"{key}:assignee",
            thread=problem.number,
        )
    elif not problem.assigned_to_id and problem.assignment_group_id:
        notify_many(
            template="problem_assigned",
            recipients=group_recipients(problem.assignment_group),
            context=context,
            dedupe_key=f"{key}:group",
            thread=problem.number,
        )


def task_assigned(task, *, by, event_id: int) -> None:
    problem = task.problem
    context = _context(
        problem,
        task_number=task.number,
        task_short_description=task.short_description,
        task_group=str(task.assignment_group) if task.assignment_group_id else "",
        task_assignee=str(task.assigned_to) if task.assigned_to_id else "",
        assigned_by=str(by),
    )
    key = f"problem-task:{task.pk}:assigned:{event_id}"
    if task.assigned_to_id and task.assigned_to_id != by.pk:
        notify(
            template="problem_task_assigned",
            to=task.assigned_to,
            context=context,
            dedupe_key=f"{key}:assignee",
            thread=problem.number,
        )
    elif not task.assigned_to_id and task.assignment_group_id:
        notify_many(
            template="problem_task_assigned",
            recipients=group_recipients(task.assignment_group),
            context=context,
            dedupe_key=f"{key}:group",
            thread=problem.number,
        )


def problem_resolved(problem, *, by, resolved: list[str], resumed: list[str]) -> None:
    """The assignee (or group) hears when someone else resolved their problem."""
    context = _context(
        problem,
        resolution_code=problem.get_resolution_code_display(),
        fix_description=problem.fix_description,
        resolved_by=str(by),
        resolved_incidents=resolved,
        resumed_incidents=resumed,
    )
    key = f"problem:{problem.pk}:resolved:v{problem.version}"
    if problem.assigned_to_id:
        if problem.assigned_to_id != by.pk:
            notify(
                template="problem_resolved",
                to=problem.assigned_to,
                context=context,
                dedupe_key=key,
                thread=problem.number,
            )
    elif problem.assignment_group_id:
        notify_many(
            template="problem_resolved",
            recipients=group_recipients(problem.assignment_group),
            context=context,
            dedupe_key=key,
            thread=problem.number,
        )
