from django.urls import include, path, re_path
from django.views.decorators.gzip import gzip_page

from portal.api.docs import DocsView, SchemaView
from portal.api.exceptions import EndpointNotFound

urlpatterns = [
    # Both need sign-in (portal/api/docs.py).
    # Compressed: the docs page loads the whole schema (360 kB as YAML, a tenth of it gzipped).
    path("schema/", gzip_page(SchemaView.as_view()), name="api-schema"),
    # The split view serves its start-up script as a file: our CSP allows no inline script.
    # Its page is templates/drf_spectacular/swagger_ui.html (no inline style either).
    path("docs/", DocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("programs.api.urls")),
    path("", include("governance.api.urls")),
    path("", include("deviations.api.urls")),
    path("", include("comms.api.urls")),
    path("", include("integrations.api_urls")),
    path("", include("people.api_urls")),
    path("", include("outcomes.api.urls")),
    path("", include("outcomes.api.kpi_urls")),
    path("", include("outcomes.api.scorecard_urls")),
    # Last: whatever matched nothing above answers in the API's error shape.
    # [\s\S] rather than a (?s) flag: Django's reverse() cannot parse inline flags.
    re_path(r"^[\s\S]*$", EndpointNotFound.as_view(), name="api-not-found"),  # newlines too
]
