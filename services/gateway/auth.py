"""Officer tokens: signed (HS256) with PTSP_SECRET, so the gateway checks them
without a database round trip; they expire after TOKEN_TTL_S."""
from datetime import datetime, timedelta, timezone

import jwt

from shared.errors import Forbidden, Unauthorized

ROLES = ("officer", "supervisor", "admin")


def issue_token(settings, officer, now=None):
    now = now or datetime.now(timezone.utc)
    expires = now + timedelta(seconds=settings.TOKEN_TTL_S)
    token = jwt.encode({"sub": officer["username"], "role": officer["role"], "site": settings.PTSP_SITE,
                        "iat": now, "exp": expires}, settings.PTSP_SECRET, algorithm="HS256")
    return {"token": token, "role": officer["role"], "username": officer["username"],
            "expires_at": expires.isoformat()}


def officer_of(request, settings, roles=ROLES):
    """The officer named by the request's bearer token (401 if none or invalid,
    403 if their role may not do this)."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Silakan masuk terlebih dahulu.", "Please log in first.",
                           {"Authorization": "missing bearer token"})
    try:
        claims = jwt.decode(token.strip(), settings.PTSP_SECRET, algorithms=["HS256"],
                            options={"require": ["sub", "exp", "role", "site"]})
    except jwt.ExpiredSignatureError:
        raise Unauthorized("Sesi Anda sudah berakhir; silakan masuk lagi.", "Your session expired; log in again.",
                           {"Authorization": "expired token"}) from None
    except jwt.InvalidTokenError:
        raise Unauthorized("Token tidak valid.", "Invalid token.", {"Authorization": "invalid token"}) from None
    if claims["site"] != settings.PTSP_SITE:
        raise Unauthorized("Token untuk kantor lain.", "Token for another site.", {"Authorization": "wrong site"})
    if claims["role"] not in roles:
        raise Forbidden("Peran Anda tidak diizinkan melakukan ini.", "Your role may not do this.",
                        {"role": claims["role"]})
    return {"username": claims["sub"], "role": claims["role"]}
