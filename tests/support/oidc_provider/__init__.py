"""A real OpenID Connect provider for the single sign-on tests: allauth's own `allauth.idp.oidc`
in a small Django project of its own (settings, urls), served by `serve.py` in a second process
on its own SQLite database. The portal's server talks to it over HTTP like to a sponsor's
provider: discovery, authorisation, code exchange, keys and userinfo, nothing mocked."""
