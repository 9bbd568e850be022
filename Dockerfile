# The invoicing service. ROLE=api (default): migrate, then serve. ROLE=worker: run background jobs
# (or pass a command: `invoicing worker`). Configure with INVOICING_* variables (see README).

# The console (web/): built here, and only its bundle is shipped (served at /console/).
FROM node:20-slim AS console
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    INVOICING_DATABASE_URL=sqlite:////data/invoicing.db \
    WORKERS=2 \
    ROLE=api \
    INVOICING_MAIL_DIR=/data/mail

# A CJK font for invoice PDFs (app/documents/fonts.py; INVOICING_PDF_FONT_PATH overrides it).
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /srv/invoicing
COPY pyproject.toml requirements.lock alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY --from=console /web/dist ./web/dist
# Editable install: the CLI finds alembic.ini and migrations/ beside the package. With the Redis
# client, so replicas can share one rate limit (INVOICING_RATE_LIMIT_STORAGE_URI=async+redis://…).
RUN pip install -c requirements.lock -e '.[redis]' \
    && useradd --system --uid 10001 --no-create-home invoicing \
    && mkdir -p /data/mail && chown -R invoicing /data

USER invoicing
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz').status != 200)"
CMD ["sh", "-c", "if [ \"$ROLE\" = worker ]; then exec invoicing worker; fi; invoicing migrate && exec invoicing serve --host 0.0.0.0 --port 8000 --workers \"$WORKERS\""]
