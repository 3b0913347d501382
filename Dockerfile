# The production image: web (gunicorn), Celery worker and Celery beat all run from it (compose.yaml).
# docker build -t zerowaste .
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# WeasyPrint needs pango, and libharfbuzz-subset0 or it subsets fonts ~50x slower. Chinese documents need
# fonts-noto-cjk, and bin/install-fonts adds FandolFang/FandolKai (仿宋/楷体) system-wide; the build fails without them.
COPY bin/install-fonts /tmp/install-fonts
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig fonts-noto-cjk; \
    XDG_DATA_HOME=/usr/local/share /tmp/install-fonts; \
    fc-list | grep -q FandolFang; \
    fc-list | grep -q "Noto Serif CJK"; \
    rm -rf /var/lib/apt/lists/* /tmp/install-fonts

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /home/app --create-home app \
    && mkdir -p /data/private /data/var \
    && chown -R app:app /data

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .

# Production settings; the files a deployment keeps live in /data (volumes in compose.yaml).
ENV DJANGO_SETTINGS_MODULE=workflow.settings.production \
    STATIC_ROOT=/app/staticfiles \
    VAR_DIR=/data/var \
    PRIVATE_STORAGE_ROOT=/data/private \
    PORT=8000

# Static files with hashed names and gzip copies (a few minutes: viewflow ships large assets), then the deployment
# checks, with placeholder values for what each deployment sets at run time (nothing here connects anywhere).
# Left out: viewflow's Plotly Dash assets (viewflow.contrib.plotly, not used here) and source maps.
RUN SECRET_KEY=build-only-placeholder-never-used-at-run-time-0123456789abcdefghij \
    ALLOWED_HOSTS=build.invalid SITE_URL=https://build.invalid \
    DATABASE_URL=postgres://build@build.invalid/build REDIS_URL=redis://build.invalid:6379/0 \
    sh -c "python manage.py collectstatic --noinput -v 0 --ignore dash --ignore '*.map' \
           && python manage.py check --deploy --fail-level WARNING"

USER app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=15s --start-period=30s --retries=3 CMD ["/app/bin/healthcheck", "web"]
# gunicorn reads gunicorn.conf.py (workers from WEB_CONCURRENCY, system checks before serving).
CMD ["gunicorn"]
