"""ASGI entry point for uvicorn: one server, one port.

`/events/` (Server-Sent Events) is answered by the async handler in `portal.streams`, where a
stream costs a coroutine. Every other HTTP request goes to Django's WSGI application on a2wsgi's
thread pool: Django's own ASGI handler runs sync views on one thread per process, measured two
to five times slower here (DESIGN.md §3, §8). The lifespan starts and stops the process's Redis
hub.

The streams read the activity stream through the `EventSource` named by the setting
`LIVE_EVENT_SOURCE` (programs' `ProgramEvents`), loaded by name: `portal` imports no domain app.
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django.setup(set_prefix=False)  # portal.streams and the event source import models

from a2wsgi import WSGIMiddleware  # noqa: E402
from django.conf import settings  # noqa: E402
from django.utils.module_loading import import_string  # noqa: E402

from portal.env import env_int  # noqa: E402
from portal.streams import LiveStreams, Message, Receive, Scope, Send  # noqa: E402
from portal.wsgi import application as django_application  # noqa: E402

EVENTS_PATH = "/events/"

# Threads serving Django per process; the database pool (DB_POOL_MAX) should not be smaller.
WEB_THREADS = env_int("WEB_THREADS", 16)


live_streams = LiveStreams(import_string(settings.LIVE_EVENT_SOURCE)())
django_app = WSGIMiddleware(django_application, workers=WEB_THREADS)


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message: Message = await receive()
        if message["type"] == "lifespan.startup":
            try:
                await live_streams.startup()
            except Exception as exc:
                await send({"type": "lifespan.startup.failed", "message": str(exc)})
                return
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await live_streams.shutdown()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def application(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
    elif scope["type"] == "http" and scope["path"] == EVENTS_PATH:
        await live_streams(scope, receive, send)
    elif scope["type"] == "http":
        await django_app(scope, receive, send)  # type: ignore[arg-type]
    else:  # no websockets here
        await send({"type": "websocket.close", "code": 1000})
