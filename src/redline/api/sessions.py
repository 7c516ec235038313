"""Dashboard session cookies: their name, attributes and the CSRF check.

Sessions live in the store (``redline.services.sessions``): the cookie is a random value whose
hash is kept, so logging out ends a session in every API process at once, with no secret to
share between them.
"""

from __future__ import annotations

import hmac
from typing import Any

from redline.services.sessions import csrf_token

__all__ = ["CSRF_FIELD", "CSRF_HEADER", "SESSION_COOKIE", "check_csrf", "cookie_options"]

SESSION_COOKIE = "redline_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"


def check_csrf(cookie: str, submitted: str | None) -> bool:
    """True when ``submitted`` is the CSRF token of the session ``cookie`` (constant time)."""
    return submitted is not None and hmac.compare_digest(csrf_token(cookie), submitted)


def cookie_options(*, max_age_s: int, secure: bool) -> dict[str, Any]:
    """Attributes for ``response.set_cookie``: HTTP-only, same-site strict, expiring."""
    return {"httponly": True, "samesite": "strict", "secure": secure, "max_age": max_age_s}
