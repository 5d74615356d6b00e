"""Run the test OpenID provider: migrate its database, register the clients and people of the
spec file (argv[1], JSON), then serve on a free port of 127.0.0.1 and print that port.

The spec: {"clients": [{"id", "secret", "redirect_uris": [...]}],
           "people": [{"username", "password", "email", "verified"}]}
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        sys.stderr.write(f"provider: {format % args}\n")


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.support.oidc_provider.settings")
    import django

    django.setup()
    from allauth.account.models import EmailAddress
    from allauth.idp.oidc.models import Client
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.core.servers.basehttp import ThreadedWSGIServer
    from django.core.wsgi import get_wsgi_application

    call_command("migrate", verbosity=0, interactive=False)
    spec = json.loads(Path(sys.argv[1]).read_text())
    for client in spec["clients"]:
        Client.objects.create(
            id=client["id"],
            name=client["id"],
            secret=make_password(client["secret"]),
            scopes="openid\nprofile\nemail",
            redirect_uris="\n".join(client["redirect_uris"]),
            grant_types=Client.GrantType.AUTHORIZATION_CODE,
            response_types="code",
            skip_consent=True,
        )
    for person in spec["people"]:
        user = User.objects.create_user(
            username=person["username"], email=person["email"], password=person["password"]
        )
        EmailAddress.objects.create(
            user=user, email=person["email"], verified=person["verified"], primary=True
        )
    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler)
    server.set_app(get_wsgi_application())
    print(server.server_port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
