"""The web console: server-rendered pages for deployment engineers and operators, at /console.

Signed in through an OpenID provider (`sso`); off unless `CONNECTOR_CONSOLE_ISSUER`,
`_CLIENT_ID`, `_CLIENT_SECRET` and `_SESSION_SECRET` are all set (`settings`).

app.py            create_console(): the sub-app (session cookie, security headers, routers)
settings.py       CONNECTOR_CONSOLE_* settings; fail closed on partial or weak configuration
roles.py          read-only < operator < admin; who gets which role (pure)
session.py        the signed session cookie, the signed-in Person, CSRF tokens
deps.py           require_role(...), check_csrf: the dependencies every route uses
sso.py            /login, /auth/callback, /logout (authlib's Starlette client)
templating.py     Jinja2 environment, render(), path(), flash()
views.py          what the pages show, computed from connector.ops data (pure)
fleet_page.py     /  and /fleet/rows (the fragment the page polls)
customer_page.py  /customers/{customer}, its live fragment, confirm + actions
customer_data.py  the customer page's reads from the store
fieldmap_page.py  /customers/{customer}/fieldmap: the map, its online check, a preview, a draft
fieldmap_data.py  the field map page's reads (map file, the org through the stored connection)
connect_page.py   /customers/{customer}/connect-link: issue a connect link (admins)

Adding a page:

1. A module `connector/console/<name>_page.py` with `router = APIRouter()`; each route takes
   `person: Annotated[Person, Depends(require_role("read-only"))]` (or "operator"/"admin" for
   what changes something) and returns `render(request, "<name>.html", {...})`. A route that
   names a customer takes `customer: Customer` (from `customer_page`), which answers 404 for
   an unknown one. Do blocking store or network work in `run_in_threadpool`.
2. Every POST route adds `dependencies=[Depends(check_csrf)]`, and its form carries
   `<input type="hidden" name="{{ csrf_field }}" value="{{ csrf_token }}">` (htmx requests send
   the token as a header already). Audit what it changes with `person.actor` as the actor.
   Confirm destructive steps with a GET page first; answer a POST with a 303 redirect.
3. A template `templates/<name>.html` that `{% extends "base.html" %}`, fills `title` and
   `content`, links with `path("route_name", **params)`, and works without JavaScript.
4. Register the router in `app.py` (`ROUTERS`). Links: the main navigation includes
   `templates/<name>_nav.html` (an `<li>`) and the customer page includes
   `<name>_customer_actions.html` (an `<li>` among the action buttons) and
   `<name>_customer_panel.html`, for the names `fieldmap` and `connect`, when they exist.
5. Browser tests use the fixtures of `tests/console/conftest.py` (`signed_in_page`,
   `console_site`).
"""
