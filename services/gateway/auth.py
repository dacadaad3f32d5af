"""Officer tokens: an HS256 token (PyJWT) signed with the installation's secret that
names a server-side session (``sid``: the session's secret, stored by the queue
service only as a hash). The signature weeds out junk without a round trip; every
authenticated request then asks the queue service whether the session is still
live, so logout, deactivation, a role change or a new password end access at once.
The role used is the account's current one, not the token's."""
from datetime import datetime

import jwt

from shared.contracts.errors import Forbidden, Unauthorized

ROLES = ("officer", "supervisor", "admin")


def issue_token(settings, login):
    """The login answer for a session the queue service just opened."""
    expires = datetime.fromisoformat(login["expires_at"])
    token = jwt.encode({"sub": login["username"], "sid": login["session"], "site": settings.PTSP_SITE,
                        "iat": int(datetime.now(expires.tzinfo).timestamp()), "exp": expires},
                       settings.PTSP_SECRET, algorithm="HS256")
    return {"token": token, "role": login["role"], "username": login["username"],
            "expires_at": login["expires_at"]}


def token_claims(request, settings):
    """The claims of the request's bearer token (401 if missing, forged or expired)."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Silakan masuk terlebih dahulu.", "Please log in first.",
                           {"Authorization": "missing bearer token"})
    try:
        claims = jwt.decode(token.strip(), settings.PTSP_SECRET, algorithms=["HS256"],
                            options={"require": ["sub", "sid", "exp", "site"]})
    except jwt.ExpiredSignatureError:
        raise Unauthorized("Sesi Anda sudah berakhir; silakan masuk lagi.", "Your session expired; log in again.",
                           {"Authorization": "expired token"}) from None
    except jwt.InvalidTokenError:
        raise Unauthorized("Token tidak valid.", "Invalid token.", {"Authorization": "invalid token"}) from None
    if claims["site"] != settings.PTSP_SITE or not isinstance(claims["sid"], str):
        raise Unauthorized("Token untuk kantor lain.", "Token for another site.", {"Authorization": "wrong site"})
    return claims


def officer_of(request, settings, queue, roles=ROLES):
    """The officer of the request's live session (401 if none, 403 if their current
    role may not do this). One RPC to the queue service; nothing cached, so an ended
    session is refused on its very next request."""
    claims = token_claims(request, settings)
    officer = queue.session_officer(settings.PTSP_SITE, claims["sid"])
    if officer["username"] != claims["sub"]:
        raise Unauthorized("Token tidak valid.", "Invalid token.", {"Authorization": "invalid token"})
    if officer["role"] not in roles:
        raise Forbidden("Peran Anda tidak diizinkan melakukan ini.", "Your role may not do this.",
                        {"role": officer["role"]})
    return officer
