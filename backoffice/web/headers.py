"""The security headers every inbox page (and `/docs`) is served with.

No page has an inline script or style, so the policy allows only the
server's own files: an injected `<script>` or `onerror=` would not run even
if some text escaped its escaping. Framing is refused twice: `frame-ancestors`
for current browsers, `X-Frame-Options` for those that predate it.
"""

from __future__ import annotations

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
