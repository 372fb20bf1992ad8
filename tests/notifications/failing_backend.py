"""An e-mail backend whose server is down: used to exercise the retry path without mocks of ours."""

import smtplib

from django.core.mail.backends.base import BaseEmailBackend


class FailingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPConnectError(421, "SMTP down")
