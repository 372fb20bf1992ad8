"""Forms of the agent UI and the portal. They validate input and name the field in every error;
the state changes themselves happen in ``incidents.services``."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.forms.models import ModelChoiceIterator
from django.forms.utils import flatatt
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from core.models import Category, Desk, SupportGroup, User
from core.roles import AGENT_ROLES
from incidents import services
from incidents.choices import ContactChannel, HoldReason, Impact, ResolutionCode, State, Urgency
from incidents.models import Incident
from slm.models import Service

MAX_FILES_PER_UPLOAD = 10


class PythonRenderedSelect:
    """Renders a select's options in Python.

    Django renders every <option> through its own template; a queue page shows about a hundred
    options (groups, agents, categories, states…), which made widget rendering the slowest part
    of the page. The output is the same markup.
    """

    def render(self, name, value, attrs=None, renderer=None):
        if isinstance(self.choices, ModelChoiceIterator):
            # One plain query: Django's iterator opens a server-side cursor on PostgreSQL, three
            # round trips per select.
            iterator = self.choices
            empty = iterator.field.empty_label
            self.choices = [("", empty)] if empty is not None else []
            self.choices += [iterator.choice(obj) for obj in iterator.queryset]
        widget = self.get_context(name, value, attrs)["widget"]
        html = [format_html('<select name="{}"{}>', widget["name"], flatatt(widget["attrs"]))]
        for group, options, _index in widget["optgroups"]:
            if group:
                html.append(format_html('<optgroup label="{}">', group))
            html.extend(
                format_html(
                    '<option value="{}"{}>{}</option>',
                    option["value"],
                    flatatt(option["attrs"]),
                    option["label"],
                )
                for option in options
            )
            if group:
                html.append("</optgroup>")
        html.append("</select>")
        return mark_safe("".join(html))


_FAST_WIDGETS: dict[type, type] = {}


def fast_selects(form: forms.BaseForm) -> None:
    """Switch the form's select widgets to the Python-rendered variant (same behaviour otherwise)."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.Select) and not isinstance(widget, PythonRenderedSelect):
            cls = type(widget)
            if cls not in _FAST_WIDGETS:
                _FAST_WIDGETS[cls] = type(f"PythonRendered{cls.__name__}", (PythonRenderedSelect, cls), {})
            widget.__class__ = _FAST_WIDGETS[cls]


class Form(forms.Form):
    """Base of the incident forms."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fast_selects(self)


def agents():
    """Active users holding an agent role (for assignee pickers)."""
    return (
        User.objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__name__in=AGENT_ROLES))
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def category_label(category: Category) -> str:
    return category.path.replace(" > ", " › ")


class CategoryChoiceField(forms.ModelChoiceField):
    """The category tree as one select: paths sort as a tree and show their ancestors."""

    def label_from_instance(self, obj: Category) -> str:
        return category_label(obj)


def category_field(**kwargs) -> CategoryChoiceField:
    return CategoryChoiceField(
        queryset=Category.objects.filter(is_active=True).order_by("path"),
        required=False,
        label=_("Category"),
        **kwargs,
    )


def service_field(**kwargs) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=Service.objects.filter(is_active=True).order_by("name"),
        required=False,
        label=_("Service"),
        **kwargs,
    )


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked against the upload size and type limits."""

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            files = [single(item, initial) for item in data if item]
        else:
            files = [single(data, initial)] if data else []
        files = [f for f in files if f]
        if self.required and not files:
            raise ValidationError(self.error_messages["required"], code="required")
        if len(files) > MAX_FILES_PER_UPLOAD:
            raise ValidationError(
                _("Attach at most %(count)d files at a time.") % {"count": MAX_FILES_PER_UPLOAD}
            )
        errors = []
        for upload in files:
            try:
                services.validate_upload(upload.name.rsplit("/", 1)[-1], upload.size)
            except ValidationError as exc:
                for message in exc.message_dict.get("file", exc.messages):
                    errors.append(f"{upload.name}: {message}")
        if errors:
            raise ValidationError(errors)
        return files


def _files_help() -> str:
    return gettext("Up to %(count)d files, %(size)s MB each. Allowed: %(allowed)s.") % {
        "count": MAX_FILES_PER_UPLOAD,
        "size": round(settings.ATTACHMENT_MAX_BYTES / 1024 / 1024, 1),
        "allowed": ", ".join(settings.ATTACHMENT_ALLOWED_TYPES),
    }


def files_field(label=None) -> MultipleFileField:
    # The help is built when rendered: in the reader's language, with the current limits.
    return MultipleFileField(label=label or _("Attachments"), help_text=lazy(_files_help, str)())


class VersionField(forms.IntegerField):
    """The version the user's page showed; the service refuses the write if it moved on."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault(
            "error_messages",
            {
                "required": _("The form is missing the incident version. Reload the page."),
                "invalid": _("The incident version is not valid. Reload the page."),
            },
        )
        super().__init__(**kwargs)


# --- htmx wiring (progressive: every form also works without JavaScript) ----------------------


def wire_priority_preview(form: forms.Form, target_id: str) -> None:
    """Impact/urgency changes fetch the priority the (admin-editable) matrix gives."""
    include = f"#{form['impact'].auto_id}, #{form['urgency'].auto_id}"
    for name in ("impact", "urgency"):
        form.fields[name].widget.attrs.update(
            {
                "hx-get": reverse("incidents:agent-priority-preview"),
                "hx-trigger": "change",
                "hx-include": include,
                "hx-target": f"#{target_id}",
            }
        )


def wire_assignee_options(form: forms.Form) -> None:
    """Choosing a group reloads the assignee select with that group's agents."""
    form.fields["assignment_group"].widget.attrs.update(
        {
            "hx-get": reverse("incidents:agent-assignee-options"),
            "hx-trigger": "change",
            "hx-include": "this",
            "hx-target": f"#{form['assigned_to'].auto_id}",
        }
    )


# --- Agent: create and edit -------------------------------------------------------------------


class CallerField(forms.CharField):
    """A caller given by user name or e-mail address (the autocomplete fills the user name)."""

    default_error_messages = {
        "unknown": _("No active user has the user name or e-mail address “%(value)s”."),
        "ambiguous": _("Several users have the e-mail address “%(value)s”. Use the user name instead."),
    }

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        value = value.strip()
        matches = list(
            User.objects.filter(is_active=True).filter(Q(username__iexact=value) | Q(email__iexact=value))[:3]
        )
        exact = [user for user in matches if user.username.lower() == value.lower()]
        if exact:
            return exact[0]
        if len(matches) > 1:
            raise ValidationError(self.error_messages["ambiguous"], code="ambiguous", params={"value": value})
        if not matches:
            raise ValidationError(self.error_messages["unknown"], code="unknown", params={"value": value})
        return matches[0]


class IncidentCreateForm(Form):
    """An agent registers an incident on behalf of a caller (typically on the phone)."""

    caller = CallerField(
        label=_("Caller"),
        max_length=254,
        help_text=_("Type a name, user name or e-mail address and pick the caller."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "list": "caller-options"}),
    )
    contact_channel = forms.ChoiceField(
        label=_("Contact channel"), choices=ContactChannel.choices, initial=ContactChannel.PHONE
    )
    short_description = forms.CharField(label=_("Short description"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea)
    impact = forms.TypedChoiceField(label=_("Impact"), choices=Impact.choices, coerce=int, initial=Impact.LOW)
    urgency = forms.TypedChoiceField(
        label=_("Urgency"), choices=Urgency.choices, coerce=int, initial=Urgency.LOW
    )
    category = category_field()
    service = service_field()
    configuration_item = forms.CharField(label=_("Configuration item"), max_length=200, required=False)
    desk = forms.ModelChoiceField(
        label=_("Desk"),
        queryset=Desk.objects.filter(is_active=True),
        required=False,
        help_text=_("Empty: the service's desk, else the default desk."),
    )
    assignment_group = forms.ModelChoiceField(
        label=_("Assignment group"),
        queryset=SupportGroup.objects.filter(is_active=True).select_related("desk"),
        required=False,
        help_text=_("Empty: the routing rules decide."),
    )
    assigned_to = forms.ModelChoiceField(label=_("Assigned to"), queryset=User.objects.none(), required=False)
    files = files_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = agents()
        self.fields["caller"].widget.attrs.update(
            {
                "hx-get": reverse("incidents:agent-caller-search"),
                "hx-trigger": "input changed delay:250ms",
                "hx-target": "#caller-options",
                "hx-include": "this",
            }
        )
        wire_priority_preview(self, "priority-preview")
        wire_assignee_options(self)


class IncidentEditForm(Form):
    """The descriptive fields an agent edits directly (``services.EDITABLE_FIELDS`` minus parent)."""

    short_description = forms.CharField(label=_("Short description"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea)
    impact = forms.TypedChoiceField(label=_("Impact"), choices=Impact.choices, coerce=int)
    urgency = forms.TypedChoiceField(label=_("Urgency"), choices=Urgency.choices, coerce=int)
    category = category_field()
    service = service_field()
    configuration_item = forms.CharField(label=_("Configuration item"), max_length=200, required=False)
    desk = forms.ModelChoiceField(label=_("Desk"), queryset=Desk.objects.filter(is_active=True))
    contact_channel = forms.ChoiceField(label=_("Contact channel"), choices=ContactChannel.choices)
    version = VersionField()

    FIELDS = (
        "short_description",
        "description",
        "impact",
        "urgency",
        "category",
        "service",
        "configuration_item",
        "desk",
        "contact_channel",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        wire_priority_preview(self, "priority-preview")

    @classmethod
    def for_incident(cls, incident: Incident, **kwargs) -> IncidentEditForm:
        initial = {name: getattr(incident, name) for name in cls.FIELDS}
        initial["version"] = incident.version
        return cls(initial=initial, **kwargs)

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.FIELDS}


# --- Agent: work on an incident ---------------------------------------------------------------


class CommentForm(Form):
    PUBLIC, WORK_NOTE = "public", "work_note"

    visibility = forms.ChoiceField(
        label=_("Visibility"),
        choices=[
            (WORK_NOTE, _("Work note (internal, the caller never sees it)")),
            (PUBLIC, _("Public comment (the caller sees it and is e-mailed)")),
        ],
        initial=WORK_NOTE,
        widget=forms.RadioSelect,
    )
    body = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    files = files_field()

    def clean(self):
        data = super().clean()
        if not (data.get("body") or "").strip() and not data.get("files") and "files" not in self.errors:
            self.add_error("body", _("Write a comment or attach a file."))
        return data

    @property
    def public(self) -> bool:
        return self.cleaned_data["visibility"] == self.PUBLIC


class AttachForm(Form):
    files = files_field(label=_("Files"))
    public = forms.BooleanField(label=_("Visible to the caller"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].required = True


# What each target state asks for in the UI, beyond the transition table's own fields:
# reopening and cancelling take a reason, putting on hold "awaiting caller" a question.
TRANSITION_UI_FIELDS = {
    State.IN_PROGRESS: ("comment",),
    State.ON_HOLD: ("hold_reason", "comment"),
    State.RESOLVED: ("resolution_code", "resolution_notes"),
    State.CLOSED: (),
    State.CANCELLED: ("reason",),
}
REOPEN_FIELDS = ("reason",)


def transition_fields(current: str, target: str) -> tuple[str, ...]:
    if current == State.RESOLVED and target == State.IN_PROGRESS:
        return REOPEN_FIELDS
    return TRANSITION_UI_FIELDS.get(target, ())


def transition_label(current: str, target: str) -> str:
    labels = {
        State.IN_PROGRESS: _("Start work") if current == State.NEW else _("Resume work"),
        State.ON_HOLD: _("Put on hold"),
        State.RESOLVED: _("Resolve"),
        State.CLOSED: _("Close"),
        State.CANCELLED: _("Cancel incident"),
    }
    if current == State.RESOLVED and target == State.IN_PROGRESS:
        return str(_("Reopen"))
    return str(labels.get(target, target))


class TransitionForm(Form):
    """Move an incident to ``target`` with the fields that move requires."""

    target = forms.ChoiceField(label=_("New state"), choices=State.choices, widget=forms.HiddenInput)
    hold_reason = forms.ChoiceField(
        label=_("Hold reason"), choices=[("", "---------"), *HoldReason.choices], required=False
    )
    resolution_code = forms.ChoiceField(
        label=_("Resolution code"), choices=[("", "---------"), *ResolutionCode.choices], required=False
    )
    resolution_notes = forms.CharField(
        label=_("Resolution notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The caller sees these notes."),
    )
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = VersionField(required=False)

    REQUIRED = {
        "hold_reason": _("Choose a hold reason."),
        "resolution_code": _("Choose a resolution code."),
        "resolution_notes": _("Describe the resolution for the caller."),
    }

    def __init__(self, *args, current: str = State.NEW, require_version: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.current = current
        self.fields["version"].required = require_version

    def visible_fields_for(self, target: str):
        return [self[name] for name in transition_fields(self.current, target)]

    def clean(self):
        data = super().clean()
        target = data.get("target")
        if not target:
            return data
        for name in transition_fields(self.current, target):
            if name in self.REQUIRED and not (data.get(name) or "").strip():
                self.add_error(name, self.REQUIRED[name])
        reopen = self.current == State.RESOLVED and target == State.IN_PROGRESS
        if (reopen or target == State.CANCELLED) and not (data.get("reason") or "").strip():
            self.add_error(
                "reason",
                _("Say why the incident is reopened.") if reopen else _("Say why the incident is cancelled."),
            )
        if (
            target == State.ON_HOLD
            and data.get("hold_reason") == HoldReason.AWAITING_CALLER
            and not (data.get("comment") or "").strip()
        ):
            self.add_error("comment", _("Tell the caller what you are waiting for."))
        return data

    def apply(self, incident: Incident, *, by: User, expected_version: int | None) -> Incident:
        """Call the service function that performs this move (raises ValidationError/Stale)."""
        data = self.cleaned_data
        target = data["target"]
        if incident.state == State.RESOLVED and target == State.IN_PROGRESS:
            return services.reopen_incident(
                incident, by=by, reason=data["reason"], expected_version=expected_version
            )
        if target == State.ON_HOLD:
            return services.put_on_hold(
                incident,
                by=by,
                hold_reason=data["hold_reason"],
                comment=data["comment"],
                expected_version=expected_version,
            )
        if target == State.RESOLVED:
            return services.resolve_incident(
                incident,
                by=by,
                resolution_code=data["resolution_code"],
                resolution_notes=data["resolution_notes"],
                expected_version=expected_version,
            )
        if target == State.CANCELLED:
            return services.cancel_incident(
                incident, by=by, reason=data["reason"], expected_version=expected_version
            )
        return services.transition_incident(
            incident, by=by, state=target, comment=data.get("comment", ""), expected_version=expected_version
        )


class AssignForm(Form):
    assignment_group = forms.ModelChoiceField(
        label=_("Assignment group"),
        queryset=SupportGroup.objects.filter(is_active=True).select_related("desk"),
        required=False,
    )
    assigned_to = forms.ModelChoiceField(label=_("Assigned to"), queryset=User.objects.none(), required=False)
    note = forms.CharField(
        label=_("Work note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Why it goes there (internal)."),
    )
    version = VersionField()

    def __init__(self, *args, group: SupportGroup | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        group_id = self.data.get(self.add_prefix("assignment_group")) if self.is_bound else None
        if group_id and str(group_id).isdigit():
            members = User.objects.filter(support_groups=int(group_id))
        elif group is not None:
            members = group.members.all()
        else:
            members = User.objects.none()
        # The bound group's members only: the service checks membership again under the lock.
        self.fields["assigned_to"].queryset = members.filter(is_active=True).order_by(
            "first_name", "last_name", "username"
        )
        wire_assignee_options(self)


class EscalateForm(Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The group's manager is told, with this reason."),
    )
    version = VersionField()


class LinkParentForm(Form):
    parent = forms.CharField(
        label=_("Parent incident"),
        max_length=20,
        required=False,
        help_text=_("Number of the parent incident, e.g. INC0001042. Empty removes the link."),
    )

    def clean_parent(self):
        number = (self.cleaned_data.get("parent") or "").strip().upper()
        if not number:
            return None
        parent = Incident.objects.filter(number=number).first()
        if parent is None:
            raise ValidationError(_("There is no incident %(number)s.") % {"number": number})
        return parent


class BulkForm(Form):
    """Assign or move several incidents at once; each row is its own transaction."""

    ASSIGN, STATE = "assign", "state"
    MAX_ROWS = 200

    numbers = forms.MultipleChoiceField(label=_("Incidents"), choices=())
    action = forms.ChoiceField(
        label=pgettext_lazy("bulk action", "Action"),
        choices=[("", "---------"), (ASSIGN, _("Assign")), (STATE, _("Change state"))],
    )
    assignment_group = forms.ModelChoiceField(
        label=_("Assignment group"), queryset=SupportGroup.objects.filter(is_active=True), required=False
    )
    assigned_to = forms.ModelChoiceField(label=_("Assigned to"), queryset=User.objects.none(), required=False)
    state = forms.ChoiceField(
        label=_("New state"),
        choices=[("", "---------"), *[(s, label) for s, label in State.choices if s != State.NEW]],
        required=False,
    )
    hold_reason = TransitionForm.base_fields["hold_reason"]
    resolution_code = TransitionForm.base_fields["resolution_code"]
    resolution_notes = TransitionForm.base_fields["resolution_notes"]
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For cancelling or reopening."),
    )
    comment = TransitionForm.base_fields["comment"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = agents()
        numbers = self.data.getlist("numbers") if self.is_bound and hasattr(self.data, "getlist") else []
        self.fields["numbers"].choices = [(n, n) for n in numbers]
        self.fields["numbers"].error_messages["required"] = _("Select at least one incident.")
        wire_assignee_options(self)

    def clean_numbers(self):
        numbers = self.cleaned_data["numbers"]
        if len(numbers) > self.MAX_ROWS:
            raise ValidationError(
                _("Select at most %(count)d incidents at a time.") % {"count": self.MAX_ROWS}
            )
        return numbers

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action == self.ASSIGN and not data.get("assignment_group"):
            self.add_error("assignment_group", _("Choose the group to assign to."))
        if action == self.STATE:
            target = data.get("state")
            if not target:
                self.add_error("state", _("Choose the new state."))
            elif target == State.ON_HOLD and not data.get("hold_reason"):
                self.add_error("hold_reason", TransitionForm.REQUIRED["hold_reason"])
            elif target == State.RESOLVED:
                for name in ("resolution_code", "resolution_notes"):
                    if not (data.get(name) or "").strip():
                        self.add_error(name, TransitionForm.REQUIRED[name])
            elif target == State.CANCELLED and not (data.get("reason") or "").strip():
                self.add_error("reason", _("Say why the incidents are cancelled."))
            if (
                target == State.ON_HOLD
                and data.get("hold_reason") == HoldReason.AWAITING_CALLER
                and not (data.get("comment") or "").strip()
            ):
                self.add_error("comment", _("Tell the callers what you are waiting for."))
        return data

    def transition_form(self, incident: Incident) -> TransitionForm:
        """The per-row transition, validated against that row's current state."""
        data = self.cleaned_data
        return TransitionForm(
            {
                "target": data["state"],
                "hold_reason": data.get("hold_reason") or "",
                "resolution_code": data.get("resolution_code") or "",
                "resolution_notes": data.get("resolution_notes") or "",
                "reason": data.get("reason") or "",
                "comment": data.get("comment") or "",
            },
            current=incident.state,
            require_version=False,
        )


# --- Portal -----------------------------------------------------------------------------------


class PortalUrgency:
    """Urgency in the caller's words; impact is 3 (a single user) for portal reports."""

    CHOICES = [
        (Urgency.HIGH, _("It stops my work completely")),
        (Urgency.MEDIUM, _("It slows my work down")),
        (Urgency.LOW, _("It's an inconvenience")),
    ]


class PortalReportForm(Form):
    short_description = forms.CharField(
        label=_("What is the problem?"),
        max_length=200,
        help_text=_("One line, e.g. “Printer on floor 3 does not print”."),
    )
    description = forms.CharField(
        label=_("Details"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What happened, what you expected, error messages, since when."),
    )
    urgency = forms.TypedChoiceField(
        label=_("How much does it affect your work?"),
        choices=PortalUrgency.CHOICES,
        coerce=int,
        initial=Urgency.LOW,
        widget=forms.RadioSelect,
    )
    service = service_field(help_text=_("The service that does not work, if you know it."))
    category = category_field(help_text=_("Or the kind of problem."))
    files = files_field()


class PortalCommentForm(Form):
    body = forms.CharField(label=_("Your comment"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    files = files_field()

    def clean(self):
        data = super().clean()
        if not (data.get("body") or "").strip() and not data.get("files") and "files" not in self.errors:
            self.add_error("body", _("Write a comment or attach a file."))
        return data


class RejectForm(Form):
    reason = forms.CharField(
        label=_("What is still not working?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Tell us what is still not working.")},
    )


class RateForm(Form):
    score = forms.TypedChoiceField(
        label=_("How satisfied are you with the resolution?"),
        choices=[
            (5, _("5 – Very satisfied")),
            (4, _("4 – Satisfied")),
            (3, _("3 – Neutral")),
            (2, _("2 – Dissatisfied")),
            (1, _("1 – Very dissatisfied")),
        ],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a rating from 1 to 5.")},
    )
    comment = forms.CharField(
        label=_("Comment (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
