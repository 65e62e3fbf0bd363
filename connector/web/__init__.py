"""The web app: resync hooks from the CRM, operator status and metrics.

app.py       create_app(): the FastAPI app and its wiring
hooks.py     POST /hooks/salesforce/{customer} (outbound message), /hooks/{customer}/resync
soap.py      safe parsing of outbound messages; the acknowledgement and fault envelopes
signing.py   HMAC-SHA256 webhook signatures and per-customer secrets
status.py    /healthz, /api/customers/{customer}[/runs], /metrics
metrics.py   hand-written Prometheus counters
problems.py  errors as JSON problem responses
settings.py  webhook secret, operator token, body limit
"""

from connector.web.app import create_app

__all__ = ["create_app"]
