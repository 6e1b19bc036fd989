"""The invitation e-mail, sent through Django's mail backend (file/console embedded, SMTP by env).

It carries the single-use token (only its hash is stored) in the text and in a link to
``CUSTOS_FRONTEND_URL``; the front end posts it to ``/api/organizations/invitations/accept/``.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import send_mail

logger = logging.getLogger("custos.orgs")


def send_invitation(
    *, to: str, organization_name: str, role: str, inviter: str, invitation_id: str, token: str, days: int
) -> None:
    base = getattr(settings, "CUSTOS_FRONTEND_URL", "").rstrip("/")
    link = f"{base}/invitations/accept?{urlencode({'token': token})}"
    body = (
        f"Hello,\n\n{inviter} invites you to join {organization_name} on Custos as {role}.\n"
        f"Accept (or decline) within {days} days with this link, which works once:\n{link}\n\n"
        f"invitation: {invitation_id}\ntoken: {token}\n\n"
        "You become a member only if you accept. If you did not expect this, ignore this message.\n"
    )
    try:
        send_mail(f"Invitation to join {organization_name}", body, None, [to], fail_silently=False)
    except Exception:  # a mail outage must not break, or reveal anything through, the invitation
        logger.exception("could not send the invitation e-mail of %s", invitation_id)
