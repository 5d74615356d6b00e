"""Pages carry a strict Content-Security-Policy whose nonce matches the page's scripts."""

import re

from tests.support.world import client_for


def test_scripts_carry_the_nonce_of_the_policy(world):
    response = client_for(world, "lead_a").get("/programs/")
    policy = response.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    scripts = re.findall(r"<script[^>]*>", response.content.decode())
    assert scripts
    assert all(f'nonce="{nonce}"' in tag for tag in scripts)
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy


def test_pages_cannot_be_framed(world):
    response = client_for(world, "lead_a").get("/programs/")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
