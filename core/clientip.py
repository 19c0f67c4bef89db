"""The client's address behind N reverse proxies, for the login lockout (django-axes).

Behind the proxy every request comes from the proxy's address; locking that out after five
failed logins would lock out everyone. Each proxy appends the address it received the request
from to X-Forwarded-For, so the client is the entry N from the right of the chain
"X-Forwarded-For entries + REMOTE_ADDR". Entries further left are whatever the client sent
and are never trusted. (django-ipware's proxy_count wants exactly N+1 entries and otherwise
gives no address at all, which would put every such user in one lockout bucket.)
"""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    proxies = settings.PROXY_COUNT
    chain = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    chain.append(request.META.get("REMOTE_ADDR") or "")
    if proxies <= 0:
        return chain[-1] or None
    return chain[-(proxies + 1)] if len(chain) > proxies else chain[0] or None
