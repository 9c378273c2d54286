"""Sets the audit actor from ``request.user`` for the length of each request (after
AuthenticationMiddleware), and flushes the database audit sink when the request ends."""
from __future__ import annotations

from . import audit


class AuditActorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        name = None
        if user is not None and getattr(user, "is_authenticated", False):
            name = f"{user.get_username()}#{user.pk}"
        token = audit.set_actor(name)
        try:
            return self.get_response(request)
        finally:
            audit.actor.reset(token)
            audit.flush()
