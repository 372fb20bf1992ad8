"""The problems API: problems by number, their incident links, tasks and the trend candidates.

Agents only: problems are internal, so end users get 403 on every endpoint. Writes go through
``problems.services``; bad input is a 400 naming the field, a stale ``If-Match`` a 412.
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.reverse import reverse

from core.api.idempotency import idempotent
from core.api.location import set_location
from core.api.permissions import IsAgent
from incidents.models import Incident
from problems import services
from problems.api import serializers as s
from problems.filtersets import CandidateFilterSet, ProblemFilterSet
from problems.models import Problem, ProblemCandidate, ProblemTask
from problems.tasks import request_detection


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The problem was changed by someone else; read it again."
    default_code = "precondition_failed"


def _expected_version(request, problem: Problem) -> int | None:
    """The version an ``If-Match`` header refers to (412 when it is not the current one)."""
    header = request.headers.get("If-Match")
    if not header:
        return None
    if header.strip() not in (problem.etag, "*"):
        raise PreconditionFailed()
    return problem.version


IF_MATCH = OpenApiParameter(
    "If-Match", str, OpenApiParameter.HEADER, required=False, description="The ETag read; 412 if it changed."
)


@extend_schema_view(
    list=extend_schema(summary="List problems", tags=["problems"]),
    retrieve=extend_schema(summary="Read a problem", tags=["problems"]),
    create=extend_schema(summary="Open a problem", tags=["problems"]),
    update=extend_schema(summary="Replace a problem's fields", tags=["problems"], parameters=[IF_MATCH]),
    partial_update=extend_schema(
        summary="Change a problem's fields", tags=["problems"], parameters=[IF_MATCH]
    ),
)
class ProblemViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Problems, addressed by number. Problems are cancelled, never deleted: history is kept."""

    serializer_class = s.ProblemSerializer
    permission_classes = [IsAgent]
    filterset_class = ProblemFilterSet
    lookup_field = "number"
    lookup_value_regex = "PRB[0-9]+"

    def get_queryset(self):
        return Problem.objects.visible_to(self.request.user).for_list().select_related("opened_by")

    def _fresh(self, problem: Problem) -> Problem:
        return self.get_queryset().get(pk=problem.pk)

    def retrieve(self, request, *args, **kwargs):
        problem = self.get_object()
        response = Response(self.get_serializer(problem).data)
        response["ETag"] = problem.etag
        return response

    @idempotent
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        problem = services.create_problem(by=request.user, incidents=data.pop("incidents", []), **data)
        problem = self._fresh(problem)
        response = Response(self.get_serializer(problem).data, status=status.HTTP_201_CREATED)
        response["ETag"] = problem.etag
        return set_location(response, response.data["url"])

    def update(self, request, *args, **kwargs):
        problem = self.get_object()
        serializer = self.get_serializer(problem, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("incidents", None)
        expected = _expected_version(request, problem)
        assignment = {key: data.pop(key) for key in ("assignment_group", "assigned_to") if key in data}
        try:
            if data:
                services.update_problem(problem, by=request.user, changes=data, expected_version=expected)
                expected = None if expected is None else problem.version
            if assignment:
                # A new group without an assignee clears the assignee (they may not be a member).
                if "assignment_group" in assignment:
                    group, assignee = assignment["assignment_group"], assignment.get("assigned_to")
                else:
                    group, assignee = problem.assignment_group, assignment["assigned_to"]
                services.assign_problem(
                    problem, by=request.user, group=group, assignee=assignee, expected_version=expected
                )
        except services.StaleProblemError:
            raise PreconditionFailed() from None
        problem = self._fresh(problem)
        response = Response(self.get_serializer(problem).data)
        response["ETag"] = problem.etag
        return response

    def _problem_response(self, problem: Problem) -> Response:
        problem = self._fresh(problem)
        response = Response(s.ProblemSerializer(problem, context=self.get_serializer_context()).data)
        response["ETag"] = problem.etag
        return response

    @extend_schema(
        summary="Move a problem to another state",
        tags=["problems"],
        request=s.ProblemTransitionSerializer,
        responses=s.ProblemSerializer,
        parameters=[IF_MATCH],
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, number=None):
        problem = self.get_object()
        body = s.ProblemTransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        expected = _expected_version(request, problem)
        try:
            if data["state"] == "resolved":
                services.resolve_problem(
                    problem,
                    by=request.user,
                    resolution_code=data.get("resolution_code", ""),
                    fix_description=data["fix_description"],
                    resolve_incidents=False,
                    expected_version=expected,
                )
            elif data["state"] == "root_cause_analysis" and problem.state == "closed":
                services.reanalyze_problem(
                    problem, by=request.user, reason=data["reason"], expected_version=expected
                )
            else:
                services.transition_problem(
                    problem,
                    by=request.user,
                    state=data["state"],
                    reason=data["reason"],
                    comment=data["reason"],
                    expected_version=expected,
                )
        except services.StaleProblemError:
            raise PreconditionFailed() from None
        return self._problem_response(problem)

    @extend_schema(
        summary="Resolve a problem, optionally with its linked incidents",
        description=(
            'With resolve_incidents every linked open incident is resolved "resolved by problem" '
            "(its caller is notified once); otherwise incidents on hold awaiting the problem go back "
            "to in progress. Repeating the call only applies the cascade to incidents still open."
        ),
        tags=["problems"],
        request=s.ProblemResolveSerializer,
        responses=s.ProblemResolveResultSerializer,
        parameters=[IF_MATCH],
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request, number=None):
        problem = self.get_object()
        body = s.ProblemResolveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            result = services.resolve_problem(
                problem,
                by=request.user,
                expected_version=_expected_version(request, problem),
                **body.validated_data,
            )
        except services.StaleProblemError:
            raise PreconditionFailed() from None
        problem = self._fresh(problem)
        return Response(
            {
                "problem": s.ProblemSerializer(problem, context=self.get_serializer_context()).data,
                "resolved_incidents": result.resolved,
                "resumed_incidents": result.resumed,
            }
        )

    @extend_schema(
        summary="Link incidents to a problem",
        tags=["problems"],
        request=s.ProblemLinkSerializer,
        responses=s.ProblemLinkResultSerializer,
    )
    @action(detail=True, methods=["post"])
    def link(self, request, number=None):
        problem = self.get_object()
        body = s.ProblemLinkSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = services.link_incidents(problem, by=request.user, **body.validated_data)
        return Response(
            {
                "linked": result.linked,
                "already": result.already,
                "refused": result.refused,
                "held": result.held,
            }
        )

    @extend_schema(
        summary="Unlink an incident from a problem",
        tags=["problems"],
        request=s.ProblemUnlinkSerializer,
        responses={204: OpenApiResponse(description="Unlinked.")},
    )
    @action(detail=True, methods=["post"])
    def unlink(self, request, number=None):
        problem = self.get_object()
        body = s.ProblemUnlinkSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        incident = Incident.objects.filter(number=body.validated_data["incident"].strip().upper()).first()
        if incident is None:
            return Response({"incident": ["No such incident."]}, status=status.HTTP_400_BAD_REQUEST)
        services.unlink_incident(
            problem, by=request.user, incident=incident, reason=body.validated_data["reason"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Mark a problem as a known error (publishes or updates its knowledge article)",
        tags=["problems"],
        request=s.ProblemKnownErrorSerializer,
        responses=s.ProblemSerializer,
    )
    @action(detail=True, methods=["post"], url_path="known-error")
    def known_error(self, request, number=None):
        problem = self.get_object()
        body = s.ProblemKnownErrorSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.mark_known_error(problem, by=request.user, **body.validated_data)
        return self._problem_response(problem)

    @extend_schema(
        summary="Send the workaround to the callers of the linked open incidents",
        tags=["problems"],
        request=None,
        responses=s.ProblemWorkaroundSentSerializer,
    )
    @action(detail=True, methods=["post"], url_path="communicate-workaround")
    def communicate_workaround(self, request, number=None):
        sent = services.communicate_workaround(self.get_object(), by=request.user)
        return Response({"sent_to": sent})

    @extend_schema(
        summary="The incidents linked to a problem",
        tags=["problems"],
        responses=s.ProblemIncidentRefSerializer(many=True),
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def incidents(self, request, number=None):
        problem = self.get_object()
        incidents = Incident.objects.filter(problem_link__problem=problem).order_by("-id")
        return Response(
            s.ProblemIncidentRefSerializer(incidents, many=True, context={"request": request}).data
        )

    @extend_schema(
        summary="A problem's timeline",
        tags=["problems"],
        responses=s.ProblemTimelineEntrySerializer(many=True),
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def timeline(self, request, number=None):
        problem = self.get_object()
        return Response(
            s.ProblemTimelineEntrySerializer(problem.timeline.select_related("author"), many=True).data
        )


@extend_schema_view(
    list=extend_schema(summary="List problem tasks", tags=["problems"]),
    retrieve=extend_schema(summary="Read a problem task", tags=["problems"]),
    create=extend_schema(summary="Add a task to a problem", tags=["problems"]),
    partial_update=extend_schema(summary="Reassign a problem task", tags=["problems"]),
)
class ProblemTaskViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = s.ProblemTaskSerializer
    permission_classes = [IsAgent]
    lookup_field = "number"
    lookup_value_regex = "PTASK[0-9]+"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return (
            ProblemTask.objects.filter(problem__in=Problem.objects.visible_to(self.request.user))
            .select_related("problem", "assignment_group", "assigned_to")
            .order_by("-id")
        )

    @idempotent
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        task = services.create_task(data.pop("problem"), by=request.user, **data)
        response = Response(self.get_serializer(task).data, status=status.HTTP_201_CREATED)
        return set_location(response, reverse("api-problem-task-detail", args=[task.number], request=request))

    def update(self, request, *args, **kwargs):
        task = self.get_object()
        serializer = self.get_serializer(task, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "assignment_group" in data or "assigned_to" in data:
            task = services.assign_task(
                task,
                by=request.user,
                group=data.get("assignment_group", task.assignment_group),
                assignee=data.get("assigned_to"),
            )
        return Response(self.get_serializer(self.get_queryset().get(pk=task.pk)).data)

    @extend_schema(
        summary="Move a problem task", tags=["problems"], request=s.ProblemTaskTransitionSerializer
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, number=None):
        task = self.get_object()
        body = s.ProblemTaskTransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        task = services.transition_task(task, by=request.user, **body.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=task.pk)).data)


@extend_schema_view(
    list=extend_schema(summary="List problem candidates (detected trends)", tags=["problems"]),
    retrieve=extend_schema(summary="Read a problem candidate", tags=["problems"]),
)
class CandidateViewSet(viewsets.ReadOnlyModelViewSet):
    """Clusters of recurring incidents proposed by trend detection."""

    serializer_class = s.ProblemCandidateSerializer
    permission_classes = [IsAgent]
    filterset_class = CandidateFilterSet

    def get_queryset(self):
        return (
            ProblemCandidate.objects.visible_to(self.request.user)
            .for_list()
            .prefetch_related(Prefetch("members", queryset=Incident.objects.only("id", "number")))
        )

    @extend_schema(
        summary="Open a problem from a candidate (its incidents are linked at once)",
        tags=["problems"],
        request=s.ProblemCandidateConvertSerializer,
        responses={201: s.ProblemSerializer},
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def convert(self, request, pk=None):
        candidate = self.get_object()
        body = s.ProblemCandidateConvertSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        problem, _result = services.convert_candidate(candidate, by=request.user, **body.validated_data)
        problem = Problem.objects.for_list().get(pk=problem.pk)
        response = Response(
            s.ProblemSerializer(problem, context={"request": request}).data, status=status.HTTP_201_CREATED
        )
        response["ETag"] = problem.etag
        return set_location(response, response.data["url"])

    @extend_schema(
        summary="Dismiss a candidate (proposed again only if it grows)",
        tags=["problems"],
        request=s.ProblemCandidateDismissSerializer,
        responses=s.ProblemCandidateSerializer,
    )
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        candidate = self.get_object()
        body = s.ProblemCandidateDismissSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.dismiss_candidate(candidate, by=request.user, reason=body.validated_data["reason"])
        return Response(self.get_serializer(get_object_or_404(self.get_queryset(), pk=candidate.pk)).data)

    @extend_schema(
        summary="Run trend detection now (in the background)",
        tags=["problems"],
        request=None,
        responses={202: s.ProblemDetectionQueuedSerializer},
    )
    @action(detail=False, methods=["post"])
    def detect(self, request):
        request_detection()
        return Response({"queued": True}, status=status.HTTP_202_ACCEPTED)
