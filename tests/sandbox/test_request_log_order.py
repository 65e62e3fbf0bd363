"""A request is in the log before its response is complete, so a client never races the log."""

from __future__ import annotations

import asyncio
from typing import Any

from connector.sandbox import SandboxOrg
from connector.sandbox.middleware import SandboxMiddleware

Message = dict[str, Any]


async def _token_endpoint(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}", "more_body": False})


def _scope(path: str) -> dict[str, Any]:
    return {
        "type": "http",
        "method": "POST",
        "path": path,
        "query_string": b"",
        "headers": [(b"content-type", b"application/x-www-form-urlencoded")],
    }


def test_given_a_response_then_its_request_is_logged_before_the_last_byte_is_sent(
    sandbox_org: SandboxOrg,
) -> None:
    sandbox_org.clear_request_log()
    middleware = SandboxMiddleware(_token_endpoint, sandbox_org)
    logged_when_sent: list[int] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"grant_type=x", "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body" and not message.get("more_body"):
            logged_when_sent.append(len(sandbox_org.request_log))

    asyncio.run(middleware(_scope("/services/oauth2/token"), receive, send))

    assert logged_when_sent == [1]
    [entry] = sandbox_org.request_log
    assert (entry.method, entry.path, entry.status) == ("POST", "/services/oauth2/token", 200)
