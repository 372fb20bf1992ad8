"""Forms of the knowledge base; they validate input, the services make the change."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Category
from core.roles import AGENT_ROLES
from knowledge.choices import ArticleState
from knowledge.models import Article
from knowledge.services import can_edit_metadata, is_manager, pending_revision
from slm.models import Service

MAX_TAGS = 12


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.path


class CategoryMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.path


def parse_tags(value: str) -> list[str]:
    """Comma-separated tag names, trimmed, de-duplicated (case-insensitive), in input order."""
    seen, names = set(), []
    for raw in (value or "").split(","):
        name = " ".join(raw.split())
        if name and name.lower() not in seen:
            seen.add(name.lower())
            names.append(name)
    return names


class ArticleForm(forms.ModelForm):
    """Create or edit an article. For a published article the text becomes a revision."""

    tags = forms.CharField(
        label=_("Tags"), required=False, max_length=600, help_text=_("Separate tags with commas.")
    )
    change_note = forms.CharField(
        label=_("Change note"),
        required=False,
        max_length=500,
        help_text=_("What changed and why; kept with the new version."),
    )
    lock_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Article
        fields = [
            "title",
            "summary",
            "body",
            "language",
            "audience",
            "category",
            "related_categories",
            "services",
            "owner",
            "review_by",
        ]
        field_classes = {"category": CategoryChoiceField, "related_categories": CategoryMultipleChoiceField}
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 2}),
            "body": forms.Textarea(attrs={"rows": 18, "class": "kb-editor-body", "spellcheck": "true"}),
            "review_by": forms.DateInput(attrs={"type": "date"}),
            "related_categories": forms.SelectMultiple(attrs={"size": 5}),
            "services": forms.SelectMultiple(attrs={"size": 5}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        article = self.instance if self.instance.pk else None
        self.fields["category"].queryset = Category.objects.filter(is_active=True)
        self.fields["related_categories"].queryset = Category.objects.filter(is_active=True)
        self.fields["related_categories"].required = False
        self.fields["services"].queryset = Service.objects.filter(is_active=True)
        self.fields["services"].required = False
        self.fields["owner"].queryset = (
            get_user_model().objects.filter(is_active=True, groups__name__in=AGENT_ROLES).distinct()
        )
        self.fields["owner"].required = False
        self.fields["owner"].help_text = _("Defaults to you.")
        self.fields["title"].widget.attrs["autofocus"] = "autofocus"
        if article is None:
            del self.fields["change_note"]
            return
        self.fields["lock_version"].initial = article.lock_version
        self.fields["tags"].initial = ", ".join(t.name for t in article.tags.all())
        if article.state == ArticleState.PUBLISHED:
            revision = pending_revision(article)
            if revision is not None:
                for name in ("title", "summary", "body"):
                    self.initial[name] = getattr(revision, name)
                self.initial["change_note"] = revision.change_note
        else:
            del self.fields["change_note"]
        if not can_edit_metadata(article, user):
            # Any agent may propose better text for a live article; its details stay with its editors.
            for name in (
                "language",
                "audience",
                "category",
                "related_categories",
                "services",
                "owner",
                "review_by",
                "tags",
            ):
                self.fields[name].disabled = True
        elif article.state == ArticleState.PUBLISHED and not is_manager(user):
            self.fields["audience"].help_text = _("Only a knowledge manager can widen the audience.")

    def clean_tags(self) -> list[str]:
        names = parse_tags(self.cleaned_data.get("tags", ""))
        if len(names) > MAX_TAGS:
            raise forms.ValidationError(_("At most %(count)s tags.") % {"count": MAX_TAGS})
        if any(len(name) > 50 for name in names):
            raise forms.ValidationError(_("A tag can be at most 50 characters long."))
        return names

    def clean_review_by(self):
        value = self.cleaned_data.get("review_by")
        if value and value < timezone.localdate() and "review_by" in self.changed_data:
            raise forms.ValidationError(_("The review date cannot be in the past."))
        return value

    def clean_title(self) -> str:
        title = " ".join((self.cleaned_data.get("title") or "").split())
        if len(title) < 5:
            raise forms.ValidationError(_("Give the article a descriptive title (at least 5 characters)."))
        return title

    def changes(self) -> dict:
        """The cleaned values as the ``changes`` dict of ``services.edit_article``."""
        data = dict(self.cleaned_data)
        data.pop("lock_version", None)
        if data.get("owner") is None:
            data.pop("owner", None)
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ConfirmReviewForm(forms.Form):
    next_review = forms.DateField(
        label=_("Next review"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class FeedbackForm(forms.Form):
    helpful = forms.TypedChoiceField(
        label=_("Was this helpful?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
    )
    comment = forms.CharField(
        label=_("What was missing? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
