FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends make libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml ./
COPY . .
RUN python -m venv .venv && .venv/bin/pip install --upgrade pip && .venv/bin/pip install -e . && touch .venv/.installed
ENV PATH=/app/.venv/bin:$PATH
EXPOSE 8000
CMD ["make", "web"]
