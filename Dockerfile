# The portal's one image: web (uvicorn serving portal.asgi), Celery worker and beat, and the
# migrate step all run from it with different commands (see docker-compose.yml).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=portal.settings \
    PORTAL_VAR_DIR=/app/var \
    WEB_CONCURRENCY=2

# Pango (and through it HarfBuzz and fontconfig) for WeasyPrint, which renders the monthly
# report's PDF; DejaVu fonts for its text.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --system --user-group --uid 10001 --home-dir /app --no-create-home portal

WORKDIR /app

# Pango (with HarfBuzz and fontconfig) is what WeasyPrint lays out the PDF reports with; a font
# so that the text has glyphs.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

# Dependencies first, pinned by the same constraints as development: this layer is rebuilt
# only when pyproject.toml or constraints.txt change.
COPY pyproject.toml constraints.txt ./
RUN pip install -c constraints.txt .

COPY . .

# Static files are collected (hashed and compressed) into the image. collectstatic signs
# nothing, but production settings refuse to load without a SECRET_KEY or AUDIT_CHAIN_KEY:
# these exist only in this build step. var/ stays writable for Celery beat's schedule file,
# var/audit for the audit checkpoints and var/jobs for built files (volumes in docker-compose.yml takes its owner from here).
RUN SECRET_KEY=build-time-only-placeholder-collectstatic-signs-nothing-0123456789 \
        AUDIT_CHAIN_KEY=build-time-only-placeholder-signs-nothing-0123456789 \
        python manage.py collectstatic --noinput --verbosity 0 \
    && rm -rf var/broker var/portal.sqlite3 \
    && mkdir -p var/audit var/jobs \
    && chown portal:portal var var/audit var/jobs

USER portal

EXPOSE 8000

CMD ["sh", "-c", "exec uvicorn portal.asgi:application --host 0.0.0.0 --port 8000 --workers \"${WEB_CONCURRENCY}\" --timeout-graceful-shutdown 10"]
