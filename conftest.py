"""Loaded before Django is set up: the test run uses the test-friendly settings switches."""

import os

os.environ.setdefault("PORTAL_TESTING", "1")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
