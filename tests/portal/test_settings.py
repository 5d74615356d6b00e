"""Configuration from the environment: bad values stop start-up; production is secure."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.env import env_bool, env_int, env_list, env_str

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_SECRET_KEY = "k" * 20 + "production-only-secret-value-0123456789-abcdefgh"
PRODUCTION = {
    "SECRET_KEY": PRODUCTION_SECRET_KEY,
    "AUDIT_CHAIN_KEY": "a-production-audit-chain-key-0123456789",
    "ALLOWED_HOSTS": "portal.example.com",
}


def test_helpers_read_typed_values(monkeypatch):
    monkeypatch.setenv("X_BOOL", "yes")
    monkeypatch.setenv("X_INT", "42")
    monkeypatch.setenv("X_LIST", "a.example, b.example,")
    assert env_bool("X_BOOL") is True
    assert env_int("X_INT", 1) == 42
    assert env_list("X_LIST", []) == ["a.example", "b.example"]
    assert env_str("X_MISSING", "fallback") == "fallback"


@pytest.mark.parametrize(
    ("name", "value", "reader"),
    [("X_BOOL", "maybe", lambda: env_bool("X_BOOL")), ("X_INT", "4x", lambda: env_int("X_INT", 1))],
)
def test_a_bad_value_names_the_variable(monkeypatch, name, value, reader):
    monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=name):
        reader()


def test_a_required_value_that_is_missing_says_so(monkeypatch):
    monkeypatch.delenv("X_REQUIRED", raising=False)
    with pytest.raises(ImproperlyConfigured, match="X_REQUIRED must be set"):
        env_str("X_REQUIRED")


def _manage(*args, **env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PORTAL_TESTING", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE", "AUDIT_CHAIN_KEY"}
    }
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env={**clean, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_without_a_secret_key_refuses_to_start(tmp_path):
    result = _manage("check", SECRET_KEY="", PORTAL_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_a_bad_database_url_refuses_to_start(tmp_path):
    result = _manage("check", DEBUG="1", DATABASE_URL="nosuchdb://x", PORTAL_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING", PORTAL_VAR_DIR=str(tmp_path), **PRODUCTION
    )
    assert result.returncode == 0, result.stderr + result.stdout


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("", "AUDIT_CHAIN_KEY must be set"),
        ("too-short", "AUDIT_CHAIN_KEY must be at least 32 random characters"),
        (PRODUCTION_SECRET_KEY, "and not the SECRET_KEY"),
    ],
)
def test_production_needs_an_audit_chain_key_of_its_own(tmp_path, key, message):
    result = _manage(
        "check",
        SECRET_KEY=PRODUCTION_SECRET_KEY,
        AUDIT_CHAIN_KEY=key,
        ALLOWED_HOSTS="portal.example.com",
        PORTAL_VAR_DIR=str(tmp_path),
    )
    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SITE_TIME_ZONE", "Mars/Olympus"),
        ("SITE_HOLIDAYS", "2026-12-25,25/12"),
        ("SITE_HOLIDAYS", "2026-12-25,0001-01-01"),
    ],
)
def test_a_bad_site_calendar_refuses_to_start(tmp_path, name, value):
    result = _manage("check", DEBUG="1", PORTAL_VAR_DIR=str(tmp_path), **{name: value})
    assert result.returncode != 0
    assert name in result.stderr


def test_the_testing_switch_refuses_to_start_without_debug(tmp_path):
    result = _manage("check", PORTAL_TESTING="1", PORTAL_VAR_DIR=str(tmp_path), **PRODUCTION)

    assert result.returncode != 0
    assert "PORTAL_TESTING=1 is refused when DEBUG is off" in result.stderr


def test_the_testing_switch_starts_with_debug(tmp_path):
    result = _manage("check", PORTAL_TESTING="1", DEBUG="1", PORTAL_VAR_DIR=str(tmp_path))

    assert result.returncode == 0, result.stderr
