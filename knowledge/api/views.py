"""The knowledge API: /api/v1/kb/articles/, scoped exactly like the UI (``visible_to``)."""

from __future__ import annotations

from django.db.models import Prefetch, prefetch_related_objects
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.api.idempotency import idempotent
from core.api.location import set_location
from core.api.permissions import IsAgent
from knowledge import services
from knowledge.api.serializers import (
    ArticleActionSerializer,
    ArticleDetailSerializer,
    ArticleFeedbackSerializer,
    ArticleIncidentLinkSerializer,
    ArticleIncidentUseSerializer,
    ArticleListSerializer,
    ArticleVersionSerializer,
    ArticleWriteSerializer,
)
from knowledge.choices import Action
from knowledge.filtersets import ArticleFilterSet
from knowledge.models import Article, ArticleRevision, ArticleVersion
from knowledge.search import search_articles

SEARCH_LIMIT_MAX = 100


def _etag(article: Article) -> str:
    return f'"{article.number}-{article.lock_version}"'


def _if_match_version(request, article: Article) -> int | None:
    """The lock version the client based its write on: If-Match, else ``lock_version`` in the body."""
    header = request.headers.get("If-Match")
    if header:
        if header.strip() != _etag(article) and header.strip() != "*":
            return -1
        return article.lock_version
    value = request.data.get("lock_version") if hasattr(request.data, "get") else None
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise DRFValidationError({"lock_version": ["A whole number is required."]})


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "search",
                OpenApiTypes.STR,
                description="Full-text search; results come ranked, with a highlighted snippet, in one page.",
            ),
            OpenApiParameter(
                "limit", OpenApiTypes.INT, description="With ?search=: how many results (max 100)."
            ),
        ]
    ),
)
@extend_schema(tags=["knowledge"])
class ArticleViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Knowledge articles. Everyone reads what they may see; agents write; reviewers publish."""

    lookup_field = "number"
    lookup_value_regex = "KB[0-9]+"
    filterset_class = ArticleFilterSet
    queryset = Article.objects.none()

    def get_queryset(self):
        queryset = Article.objects.visible_to(self.request.user).select_related("category", "owner")
        if self.action == "list":
            return queryset.prefetch_related("tags")
        return queryset.select_related("author").prefetch_related(
            "tags",
            "services",
            "related_categories",
            Prefetch("revision", queryset=ArticleRevision.objects.select_related("author")),
        )

    def get_permissions(self):
        # The version history (earlier texts, change notes, who wrote them) is for agents only.
        if self.action in ("list", "retrieve", "feedback"):
            return [IsAuthenticated()]
        return [IsAuthenticated(), IsAgent()]

    def get_serializer_class(self):
        if self.action == "list":
            return ArticleListSerializer
        if self.action in ("create", "update", "partial_update"):
            return ArticleWriteSerializer
        return ArticleDetailSerializer

    def list(self, request, *args, **kwargs):
        query = (request.query_params.get("search") or "").strip()
        if not query:
            return super().list(request, *args, **kwargs)
        filterset = self.filterset_class(request.query_params, queryset=self.get_queryset(), request=request)
        if not filterset.is_valid():
            raise DRFValidationError(filterset.errors)
        try:
            limit = min(max(int(request.query_params.get("limit", 20)), 1), SEARCH_LIMIT_MAX)
        except ValueError:
            raise DRFValidationError({"limit": ["A whole number is required."]})
        data = filterset.form.cleaned_data
        results = search_articles(
            request.user,
            query,
            category=data.get("category"),
            service=data.get("service"),
            tag=data.get("tag") or None,
            limit=limit,
        )
        articles = []
        for result in results:
            result.article.search_rank = round(result.rank, 6)
            result.article.search_snippet = result.snippet
            articles.append(result.article)
        prefetch_related_objects(articles, "tags")
        serializer = ArticleListSerializer(articles, many=True, context=self.get_serializer_context())
        return Response({"next": None, "previous": None, "results": serializer.data})

    def retrieve(self, request, *args, **kwargs):
        article = self.get_object()
        response = Response(ArticleDetailSerializer(article, context=self.get_serializer_context()).data)
        response["ETag"] = _etag(article)
        return response

    @extend_schema(request=ArticleWriteSerializer, responses={201: ArticleDetailSerializer})
    @idempotent
    def create(self, request, *args, **kwargs):
        serializer = ArticleWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("change_note", None)
        article = services.create_article(by=request.user, **data)
        body = ArticleDetailSerializer(
            self.get_queryset().get(pk=article.pk), context=self.get_serializer_context()
        )
        response = Response(body.data, status=status.HTTP_201_CREATED)
        response["ETag"] = _etag(article)
        return set_location(response, response.data["url"])

    @extend_schema(
        request=ArticleWriteSerializer,
        responses={
            200: ArticleDetailSerializer,
            412: OpenApiResponse(description="If-Match does not match."),
        },
        parameters=[OpenApiParameter("If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER)],
    )
    def update(self, request, *args, **kwargs):
        article = self.get_object()
        expected = _if_match_version(request, article)
        if expected == -1:
            return Response(
                {"detail": "The article changed since you read it (ETag mismatch)."},
                status=status.HTTP_412_PRECONDITION_FAILED,
            )
        partial = kwargs.get("partial", False)
        serializer = ArticleWriteSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        try:
            services.edit_article(
                article,
                by=request.user,
                changes=dict(serializer.validated_data),
                expected_lock_version=expected,
            )
        except services.StaleEdit as exc:
            return Response({"detail": exc.messages[0]}, status=status.HTTP_412_PRECONDITION_FAILED)
        article = self.get_queryset().get(pk=article.pk)
        response = Response(ArticleDetailSerializer(article, context=self.get_serializer_context()).data)
        response["ETag"] = _etag(article)
        return response

    @extend_schema(request=ArticleWriteSerializer, responses={200: ArticleDetailSerializer})
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def _act(self, request, action_name: str):
        article = self.get_object()
        serializer = ArticleActionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.perform_action(
            article, by=request.user, action=action_name, reason=serializer.validated_data.get("reason", "")
        )
        article = self.get_queryset().get(pk=article.pk)
        return Response(ArticleDetailSerializer(article, context=self.get_serializer_context()).data)

    @extend_schema(request=ArticleActionSerializer, responses=ArticleDetailSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, number=None):
        """Submit the draft (or the open revision of a published article) for review."""
        return self._act(request, Action.SUBMIT)

    @extend_schema(request=ArticleActionSerializer, responses=ArticleDetailSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, number=None):
        """Knowledge managers: publish the article (or its revision, as the next version)."""
        return self._act(request, Action.PUBLISH)

    @extend_schema(request=ArticleActionSerializer, responses=ArticleDetailSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, number=None):
        """Knowledge managers: send the article (or revision) in review back to draft; ``reason`` required."""
        return self._act(request, Action.REJECT)

    @extend_schema(request=ArticleActionSerializer, responses=ArticleDetailSerializer)
    @action(detail=True, methods=["post"])
    def retire(self, request, number=None):
        """Knowledge managers: retire a published article."""
        return self._act(request, Action.RETIRE)

    @extend_schema(responses=ArticleVersionSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def versions(self, request, number=None):
        """Agents: every published version, newest first, with who wrote and published it and when."""
        article = self.get_object()
        versions = ArticleVersion.objects.filter(article=article).select_related("written_by", "published_by")
        return Response(ArticleVersionSerializer(versions, many=True).data)

    @extend_schema(request=ArticleFeedbackSerializer, responses=ArticleFeedbackSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def feedback(self, request, number=None):
        """ "Was this helpful?" for the signed-in reader (answering again replaces the answer)."""
        article = self.get_object()
        serializer = ArticleFeedbackSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        feedback = services.record_feedback(
            article,
            by=request.user,
            helpful=serializer.validated_data["helpful"],
            comment=serializer.validated_data.get("comment", ""),
        )
        return Response(ArticleFeedbackSerializer(feedback).data)

    def _use(self, request, function, **extra):
        from incidents.models import Incident

        article = self.get_object()
        serializer = ArticleIncidentUseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        incident = (
            Incident.objects.visible_to(request.user).filter(number=data["incident"].strip().upper()).first()
        )
        if incident is None:
            raise DRFValidationError({"incident": ["No incident with that number."]})
        kwargs = {key: data.get(key, "") for key in extra}
        link = function(article, incident, by=request.user, **kwargs)
        link = type(link).objects.select_related("incident", "linked_by").get(pk=link.pk)
        return Response(ArticleIncidentLinkSerializer(link).data)

    @extend_schema(request=ArticleIncidentUseSerializer, responses=ArticleIncidentLinkSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def attach(self, request, number=None):
        """Attach the article to an incident for reference."""
        return self._use(request, services.attach_to_incident)

    @extend_schema(request=ArticleIncidentUseSerializer, responses=ArticleIncidentLinkSerializer)
    @action(detail=True, methods=["post"], filterset_class=None, url_path="send-to-caller")
    @idempotent
    def send_to_caller(self, request, number=None):
        """Send the article to the incident's caller as a public comment (``message`` optional)."""
        return self._use(request, services.send_to_caller, message=True)

    @extend_schema(request=ArticleIncidentUseSerializer, responses=ArticleIncidentLinkSerializer)
    @action(detail=True, methods=["post"], filterset_class=None, url_path="resolve-incident")
    def resolve_incident(self, request, number=None):
        """Resolve the incident with this article (``resolution_code`` defaults to solution provided)."""
        return self._use(request, services.resolve_with_article, resolution_code=True, notes=True)
