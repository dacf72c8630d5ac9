"""POST a JSON document to a configured URL, with retries; failures are returned, never raised."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

WEBHOOK_TIMEOUT = 10.0
WEBHOOK_RETRIES = 2  # attempts after the first one
WEBHOOK_BACKOFF = 0.5


def post_webhook(
    url: str, event: dict[str, Any], *, timeout: float = WEBHOOK_TIMEOUT, retries: int = WEBHOOK_RETRIES
) -> str | None:
    """POST the event; None on success, else what went wrong (the URL's credentials redacted)."""
    from ..redact import redact_text

    if not url.startswith(("http://", "https://")):
        return f"webhook {redact_text(url)}: only http(s) URLs are supported"
    body = json.dumps(event, default=str).encode("utf-8")
    last = ""
    for attempt in range(retries + 1):
        request = urllib.request.Request(
            url, data=body, method="POST",
            headers={"Content-Type": "application/json", "User-Agent": "backend-gates"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - configured URL
                if 200 <= response.status < 300:
                    return None
                last = f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}"
            if 400 <= exc.code < 500 and exc.code not in (408, 429):
                break  # the receiver refuses this request; retrying will not help
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            last = str(getattr(exc, "reason", exc))
        if attempt < retries:
            time.sleep(WEBHOOK_BACKOFF * (2**attempt))
    return f"webhook {redact_text(url)} failed after {attempt + 1} attempt(s): {last}"
