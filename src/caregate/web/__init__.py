"""The admin console: server-rendered pages (Jinja2, htmx where a part of a page updates in place).

`install(app, services, client_ip=...)` adds the console's routes and static files to the ASGI app;
the API stays under /v1. The console calls the same use cases as the API and holds no access rule.
"""

from caregate.web.app import install

__all__ = ["install"]
