"""Comments and questions over REST, by the same rules as the pages: anyone who sees the
program reads its thread (a sponsor never an internal note), sponsor users ask, the program's
CDMO team answers. Threads are named like the pages name them: `update`, `milestone`,
`meeting` or `deviation` and the id of that record."""

from __future__ import annotations

import django_filters
from django import forms
from django.core.validators import RegexValidator
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from comms import selectors
from comms.models import Comment
from comms.services import common, conversations
from portal import access
from portal.access import Action, Audience
from portal.api.authentication import api_user
from portal.api.schema import error_responses
from portal.api.serializers import PersonSerializer, StrictCharField, StrictSerializer
from programs.api.views import CODE_PARAMETER, ProgramList, program_from_url

MAX_ID = 2**31 - 1
NOT_BLANK = RegexValidator(r"\S", "Write something first.")
TAGS = ["comments and questions"]
_THREAD_RELATED = ("update", "milestone", "meeting", "deviation")


# --- Serializers -------------------------------------------------------------------------


class CommentSerializer(serializers.ModelSerializer):
    target_type = serializers.ChoiceField(
        selectors.TARGET_KINDS,
        source="target_kind",
        read_only=True,
        help_text="What the thread is on: an update, a milestone, a meeting or a deviation.",
    )
    target_id = serializers.IntegerField(
        read_only=True, help_text="The id of that update, milestone, meeting or deviation."
    )
    target_title = serializers.SerializerMethodField(
        help_text="Its title (a milestone's name), for people reading the thread."
    )
    author = PersonSerializer(read_only=True)
    author_side = serializers.SerializerMethodField(
        help_text="`sponsor` or `cdmo`: which side of the partnership wrote it."
    )
    is_open = serializers.BooleanField(
        source="is_open_question",
        read_only=True,
        help_text="A question the CDMO team has not answered yet.",
    )
    answer_to = serializers.IntegerField(
        source="answer_to_id",
        read_only=True,
        allow_null=True,
        help_text="For an answer: the id of the question it answers.",
    )

    class Meta:
        model = Comment
        fields = [
            "id",
            "target_type",
            "target_id",
            "target_title",
            "author",
            "author_side",
            "body",
            "audience",
            "is_question",
            "is_open",
            "answer_to",
            "answered_at",
            "answer_seconds",
            "created_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "answered_at": {"help_text": "For a question: when it was first answered."},
            "answer_seconds": {"help_text": "For a question: seconds from asked to answered."},
        }

    def get_target_title(self, comment: Comment) -> str:
        target = comment.target
        return str(getattr(target, "title", None) or getattr(target, "name", ""))

    @extend_schema_field(serializers.ChoiceField(["sponsor", "cdmo"]))
    def get_author_side(self, comment: Comment) -> str:
        return "cdmo" if access.is_cdmo(comment.author) else "sponsor"


class CommentCreateSerializer(StrictSerializer):
    """Input only: `comms.conversations.comment_post` decides and writes."""

    target_type = serializers.ChoiceField(
        selectors.TARGET_KINDS,
        help_text="What to comment on: an update, milestone, meeting or deviation.",
    )
    target_id = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        help_text="The id of that update, milestone, meeting or deviation.",
    )
    body = StrictCharField(validators=[NOT_BLANK])
    is_question = serializers.BooleanField(
        default=False,
        help_text="Sponsor users only: a question stays open until the CDMO team answers it.",
    )
    audience = serializers.ChoiceField(
        Audience.choices,
        default=Audience.SPONSOR,
        help_text="CDMO users only may post an `internal` note, which sponsors never see.",
    )


class AnswerCreateSerializer(StrictSerializer):
    """Input only: `comms.conversations.question_answer` decides and writes. An answer is always
    shared with the sponsor."""

    body = StrictCharField(validators=[NOT_BLANK])


# --- Filters -----------------------------------------------------------------------------


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class QuestionFilter(django_filters.FilterSet):
    open = django_filters.BooleanFilter(
        method="filter_open", label="true: unanswered questions only; false: answered only."
    )

    class Meta:
        model = Comment
        fields: list[str] = []

    def filter_open(self, queryset: QuerySet[Comment], name: str, value: bool) -> QuerySet:
        return queryset.filter(answered_at__isnull=value)


class CommentFilter(QuestionFilter):
    update = IdFilter(field_name="update_id", min_value=1, max_value=MAX_ID, label="Update id.")
    milestone = IdFilter(
        field_name="milestone_id", min_value=1, max_value=MAX_ID, label="Milestone id."
    )
    meeting = IdFilter(field_name="meeting_id", min_value=1, max_value=MAX_ID, label="Meeting id.")
    deviation = IdFilter(
        field_name="deviation_id", min_value=1, max_value=MAX_ID, label="Deviation id."
    )
    is_question = django_filters.BooleanFilter(label="Questions only (true) or none (false).")


# --- Views -------------------------------------------------------------------------------


class ProgramCommentListView(ProgramList, generics.GenericAPIView):
    serializer_class = CommentSerializer
    filterset_class = CommentFilter
    queryset = Comment.objects.none()  # the model, for the schema; rows come from selectors

    @extend_schema(
        summary="List a program's comments and questions",
        tags=TAGS,
        description=(
            "Every comment, question and answer you may see on the program's updates, "
            "milestones, meetings and deviations, oldest first. Sponsors never see CDMO "
            "internal notes."
        ),
        parameters=[CODE_PARAMETER],
        responses={200: CommentSerializer(many=True), **error_responses(400, 401, 404, 429)},
    )
    def get(self, request: Request, code: str) -> Response:
        program = program_from_url(api_user(request), code)
        comments = (
            selectors.comment_list(user=api_user(request), program=program)
            .select_related(*_THREAD_RELATED)
            .order_by("created_at", "id")
        )
        page = self.paginate_queryset(self.filter_queryset(comments))
        return self.get_paginated_response(CommentSerializer(page, many=True).data)

    @extend_schema(
        summary="Comment, or ask a question",
        tags=TAGS,
        description=(
            "Anyone who sees the program may comment. A sponsor user's comment is always "
            "shared and may be a question (`is_question`); a CDMO user may post an `internal` "
            "note instead; anything else is a 403. Comments on an internal draft update stay "
            "internal until it is shared (409 otherwise)."
        ),
        parameters=[CODE_PARAMETER],
        request=CommentCreateSerializer,
        responses={201: CommentSerializer, **error_responses(400, 401, 403, 404, 409, 429)},
    )
    def post(self, request: Request, code: str) -> Response:
        user = api_user(request)
        program = program_from_url(user, code)
        serializer = CommentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        common.require(user, Action.COMMENT, program, conversations.NOT_ALLOWED_TO_COMMENT)
        if data["audience"] == Audience.INTERNAL:
            common.require(
                user, Action.POST_INTERNAL_NOTE, program, conversations.SPONSOR_COMMENTS_ARE_SHARED
            )
        if data["is_question"]:
            common.require(user, Action.ASK_QUESTION, program, conversations.ONLY_SPONSORS_ASK)
        target = selectors.get_comment_target(user, program, data["target_type"], data["target_id"])
        comment = conversations.comment_post(
            actor=user,
            target=target,
            body=data["body"],
            audience=data["audience"],
            is_question=data["is_question"],
        )
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)


class CommentAnswerView(generics.GenericAPIView):
    serializer_class = CommentSerializer
    filter_backends = []
    pagination_class = None

    @extend_schema(
        summary="Answer a question",
        tags=TAGS,
        description=(
            "For the program's CDMO team. The answer joins the question's thread, shared with "
            "the sponsor; the first answer closes the question and stores its time to answer, "
            "and the person who asked is notified. Anyone else gets a 403."
        ),
        parameters=[
            CODE_PARAMETER,
            OpenApiParameter(
                "id",
                {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                OpenApiParameter.PATH,
                description="The question's id.",
            ),
        ],
        request=AnswerCreateSerializer,
        responses={201: CommentSerializer, **error_responses(400, 401, 403, 404, 429)},
    )
    def post(self, request: Request, code: str, id: int) -> Response:
        program = program_from_url(api_user(request), code)
        question = selectors.get_question_for_user(api_user(request), program, id)
        common.require(
            api_user(request), Action.ANSWER_QUESTION, program, conversations.ONLY_TEAM_ANSWERS
        )
        serializer = AnswerCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        answer = conversations.question_answer(
            actor=api_user(request), question=question, body=serializer.validated_data["body"]
        )
        answer.update, answer.milestone, answer.meeting, answer.deviation = (
            question.update,
            question.milestone,
            question.meeting,
            question.deviation,
        )
        return Response(CommentSerializer(answer).data, status=status.HTTP_201_CREATED)


class ProgramQuestionListView(ProgramList, generics.GenericAPIView):
    serializer_class = CommentSerializer
    filterset_class = QuestionFilter
    queryset = Comment.objects.none()  # the model, for the schema; rows come from selectors

    @extend_schema(
        summary="List a program's questions",
        tags=TAGS,
        description=(
            "The sponsor's questions on the program, oldest first, with when each was "
            "answered and how long that took; `open=true` for the ones still waiting."
        ),
        parameters=[CODE_PARAMETER],
        responses={200: CommentSerializer(many=True), **error_responses(400, 401, 404, 429)},
    )
    def get(self, request: Request, code: str) -> Response:
        program = program_from_url(api_user(request), code)
        questions = selectors.question_list(user=api_user(request), program=program).order_by(
            "created_at", "id"
        )
        page = self.paginate_queryset(self.filter_queryset(questions))
        return self.get_paginated_response(CommentSerializer(page, many=True).data)
