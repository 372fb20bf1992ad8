"""Writing and delivering notifications.

``notify`` is called inside the domain operation's transaction; the row commits (or rolls back)
with the event. Delivery runs after commit in a Celery task and again from the periodic sweep, so
a lost task message or a dead worker loses nothing. A row is claimed with a conditional UPDATE
before sending, so that two workers never send the same row at once.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Q
from django.template import Context, TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation

from core import sweeps
from notifications.models import Channel, Notification, Status

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recipient:
    """Someone to notify: a user, or a bare address (an on-call mailbox, a stakeholder list)."""

    address: str
    language: str = "en"
    user_id: int | None = None

    @classmethod
    def of(cls, user) -> Recipient:
        return cls(address=user.email, language=user.language or settings.LANGUAGE_CODE, user_id=user.pk)


def group_recipients(group) -> list[Recipient]:
    """Who hears about work for a support group: its shared mailbox if it has one, else its
    active members. Members are filtered in Python so that a prefetch of ``members`` is used."""
    if group is None:
        return []
    if group.email:
        language = group.desk.language if group.desk_id else settings.LANGUAGE_CODE
        return [Recipient(address=group.email, language=language)]
    return [Recipient.of(user) for user in group.members.all() if user.is_active]


def notify(
    *,
    template: str,
    to,
    context: dict,
    dedupe_key: str,
    thread: str = "",
    channel: str = Channel.EMAIL,
) -> Notification | None:
    """Write one outbox row for one recipient, unless the same event already did.

    ``to`` is a user or a :class:`Recipient`. ``context`` must be JSON-serialisable: templates
    are rendered at delivery time, in the recipient's language. Returns the row (new or
    existing), or None when the recipient has no address.
    """
    recipient = to if isinstance(to, Recipient) else Recipient.of(to)
    if not recipient.address:
        return None
    try:
        with transaction.atomic():
            row = Notification.objects.create(
                channel=channel,
                recipient_id=recipient.user_id,
                address=recipient.address,
                language=recipient.language,
                template=template,
                context=context,
                dedupe_key=dedupe_key[:255],
                thread=thread,
            )
    except IntegrityError:
        return Notification.objects.filter(dedupe_key=dedupe_key[:255]).first()
    transaction.on_commit(lambda: _enqueue(row.pk))
    return row


def notify_many(*, template: str, recipients, context: dict, dedupe_key: str, thread: str = "") -> list:
    """Notify each distinct address once; the dedupe key is made per address."""
    rows, seen = [], set()
    for to in recipients:
        recipient = to if isinstance(to, Recipient) else Recipient.of(to)
        if not recipient.address or recipient.address.lower() in seen:
            continue
        seen.add(recipient.address.lower())
        row = notify(
            template=template,
            to=recipient,
            context=context,
            dedupe_key=f"{dedupe_key}:{recipient.address.lower()}",
            thread=thread,
        )
        if row is not None:
            rows.append(row)
    return rows


def _enqueue(notification_id: int) -> None:
    from notifications.tasks import deliver_notification

    try:
        deliver_notification.delay(notification_id)
    except Exception:  # broker down: the periodic sweep delivers it later
        log.warning("could not enqueue notification %s; the sweep will deliver it", notification_id)


def backoff_seconds(attempts: int) -> float:
    """Delay before the next try after ``attempts`` failed ones: exponential, capped."""
    base = settings.NOTIFY_RETRY_BASE_SECONDS
    return min(base * (2 ** max(attempts - 1, 0)), settings.NOTIFY_RETRY_MAX_SECONDS)


def claim(notification_id: int) -> bool:
    """Atomically take a due row for sending. Only one caller wins."""
    now = timezone.now()
    return bool(
        Notification.objects.filter(pk=notification_id)
        .filter(
            Q(status=Status.PENDING, next_attempt_at__lte=now)
            | Q(status=Status.SENDING, locked_until__lt=now)
        )
        .update(status=Status.SENDING, locked_until=now + timedelta(seconds=settings.NOTIFY_LEASE_SECONDS))
    )


def render(notification: Notification) -> tuple[str, str, str | None]:
    """Subject, text body and optional HTML body, in the recipient's language."""
    base = f"notifications/{notification.template}"
    context = {**notification.context, "site_url": settings.SITE_URL}
    with translation.override(notification.language):
        subject = " ".join(_render_text(f"{base}/subject.txt", context).split())
        text = _render_text(f"{base}/body.txt", context)
        try:
            html = render_to_string(f"{base}/body.html", context)
        except TemplateDoesNotExist:
            html = None
    return subject, text, html


def _render_text(name: str, context: dict) -> str:
    """Plain-text templates are rendered without HTML escaping (a "&" stays a "&")."""
    template = get_template(name).template
    return template.render(Context(context, autoescape=False))


def _message_domain() -> str:
    return settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >") or "itsm.local"


def send_email(notification: Notification) -> str:
    subject, text, html = render(notification)
    domain = _message_domain()
    message_id = f"<notification-{notification.pk}@{domain}>"
    headers = {"Message-ID": message_id, "Auto-Submitted": "auto-generated"}
    if notification.thread:
        # Every message about a ticket refers to the same thread root, so mail clients group
        # them and replies carry the ticket reference back to the inbound channel.
        root = f"<{notification.thread.lower()}@{domain}>"
        headers["References"] = root
        headers["In-Reply-To"] = root
    email = EmailMultiAlternatives(subject=subject, body=text, to=[notification.address], headers=headers)
    if html:
        email.attach_alternative(html, "text/html")
    email.send(fail_silently=False)
    return message_id


def deliver(notification_id: int) -> str:
    """Claim and send one notification. Returns what happened: sent, retry, failed or skipped."""
    if not claim(notification_id):
        return "skipped"
    notification = Notification.objects.get(pk=notification_id)
    attempts = notification.attempts + 1
    started = time.monotonic()
    try:
        message_id = send_email(notification)
    except Exception as exc:
        failed = attempts >= settings.NOTIFY_MAX_ATTEMPTS
        Notification.objects.filter(pk=notification_id).update(
            status=Status.FAILED if failed else Status.PENDING,
            attempts=attempts,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            next_attempt_at=timezone.now() + timedelta(seconds=backoff_seconds(attempts)),
            locked_until=None,
        )
        log.warning(
            "notification delivery failed",
            extra={"notification": notification_id, "attempt": attempts, "error": str(exc)},
        )
        return "failed" if failed else "retry"
    if time.monotonic() - started > settings.NOTIFY_LEASE_SECONDS:
        # The claim ran out while sending: another worker may have sent it as well (same
        # Message-ID, so mail clients show one). Raise NOTIFY_LEASE_SECONDS if this repeats.
        log.warning("notification sent after its lease expired", extra={"notification": notification_id})
    Notification.objects.filter(pk=notification_id).update(
        status=Status.SENT,
        attempts=attempts,
        sent_at=timezone.now(),
        message_id=message_id,
        locked_until=None,
        last_error="",
    )
    log.info("notification sent", extra={"notification": notification_id, "template": notification.template})
    return "sent"


SWEEP_NAME = "notifications.deliver_due"


def deliver_due(limit: int = 500) -> dict[str, int]:
    """The sweep: deliver every due row. A row whose delivery raises outside the send (its claim
    or bookkeeping) is logged, recorded (core.sweeps) and put back as pending after a back-off,
    and the sweep carries on; failures of the send itself are the usual retries."""
    counts = {"sent": 0, "retry": 0, "failed": 0, "skipped": 0, "error": 0}
    guard = sweeps.RowGuard(SWEEP_NAME, "notifications.Notification")
    for notification_id in due_ids(limit):
        outcome = "error"
        with guard.row(notification_id, atomic=False):
            outcome = deliver(notification_id)
        if outcome == "error":
            _release_after_error(notification_id)
        counts[outcome] = counts.get(outcome, 0) + 1
    guard.finish()
    return counts


def _release_after_error(notification_id: int) -> None:
    from core.models import SweepFailure

    row = SweepFailure.objects.filter(sweep=SWEEP_NAME, object_id=notification_id).first()
    retry_at = row.skip_until if row else timezone.now() + sweeps.retry_delay(1)
    try:
        with transaction.atomic():
            Notification.objects.filter(
                pk=notification_id, status__in=[Status.PENDING, Status.SENDING]
            ).update(
                status=Status.PENDING,
                next_attempt_at=retry_at,
                locked_until=None,
                last_error=(row.error if row else "")[:2000],
            )
    except DatabaseError:
        log.warning("could not set notification %s aside", notification_id, exc_info=True)


def due_ids(limit: int = 500) -> list[int]:
    now = timezone.now()
    return list(
        Notification.objects.filter(
            Q(status=Status.PENDING, next_attempt_at__lte=now)
            | Q(status=Status.SENDING, locked_until__lt=now)
        )
        .exclude(pk__in=sweeps.skipped_ids(SWEEP_NAME))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
