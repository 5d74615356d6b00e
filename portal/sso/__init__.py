"""Single sign-on per sponsor over OpenID Connect (docs/single-sign-on.md).

django-allauth's socialaccount speaks the protocol (redirect, state, PKCE, code exchange, ID
token checks); this package decides who it may sign in: `adapter` (only an invited, open account
of the provider's own organisation, never a new account), `backends` (password sign-in refused
where single sign-on is mandatory), `services` and `selectors` (the organisation's provider, kept
by CDMO administrators), `views` (the email-first start page and the administrators' page).
"""
