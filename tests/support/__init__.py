"""Shared test support, in one place: the persona world and its clients (`world`), API
clients and the error shape (`api`), the query counter behind every budget (`queries`), and
the permission harness with its scene (`permissions`, `scene`). tests/conftest.py exposes the
fixtures built on them."""
