"""The permission matrix covers the whole portal: every URL pattern the resolver serves and
every operation of the OpenAPI schema has at least one row (tests/test_permission_matrix.py).

A new view without a row fails here, naming it, until its row says what each persona gets.
"""

from tests.support.permissions import covered, openapi_operations, url_patterns
from tests.test_permission_matrix import ROWS


def test_every_url_pattern_has_a_row():
    named = {name for name, _ in covered(ROWS)}

    missing = [
        f"{route} ({name or 'unnamed'})" for route, name in url_patterns() if name not in named
    ]

    assert not missing, "URL patterns without a permission row:\n" + "\n".join(missing)


def test_every_openapi_operation_has_a_row_for_its_method():
    rows = covered(ROWS)

    missing = [
        f"{method.upper()} {path} ({name})"
        for method, path, name in openapi_operations()
        if (name, method) not in rows
    ]

    assert not missing, "API operations without a permission row:\n" + "\n".join(missing)


def test_every_row_names_a_url_the_resolver_knows():
    names = {name for _, name in url_patterns(everything=True)}

    unknown = sorted({row.url_name for row in ROWS} - names)

    assert not unknown, f"rows for URL names that no longer exist: {unknown}"
