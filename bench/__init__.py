"""The served benchmark (`make bench-http`): the portal in its production shape under a load
generator, measured from outside over HTTP. See `bench/__main__.py`."""
