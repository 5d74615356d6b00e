"""The API helpers of tests/api, for the governance endpoints tested here."""

from tests.api.conftest import _fresh_throttles, api_as  # noqa: F401  (fixtures)
