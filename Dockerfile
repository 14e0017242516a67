# riderbot: a Discord bot that answers AI model licence questions.
#   docker build -t riderbot .
#   docker run -d --env-file .env -v riderbot-data:/data riderbot
# The bundled knowledge is in the wheel and in /app/knowledge; mount your own folder there to replace it.

# --- build stage: install the project (and only its runtime dependencies) into /install -----------
FROM python:3.11-slim AS build
WORKDIR /src
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# the pinned runtime dependencies first (their own layer), then riderbot itself without re-resolving
COPY requirements.lock ./
RUN pip install --prefix=/install -r requirements.lock
COPY pyproject.toml setup.py README.md LICENSE ./
COPY bot ./bot
COPY knowledge ./knowledge
RUN pip install --prefix=/install --no-deps .

# --- runtime stage ------------------------------------------------------------------------------------
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    RIDERBOT_DB=/data/riderbot.db \
    RIDERBOT_HEALTH_FILE=/data/riderbot.health \
    RIDERBOT_KNOWLEDGE=/app/knowledge
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin riderbot \
    && mkdir -p /data /app \
    && chown riderbot:riderbot /data
COPY --from=build /install /usr/local
COPY knowledge /app/knowledge
WORKDIR /app
USER 10001:10001
VOLUME ["/data"]
# SIGTERM: the bot stops taking events, finishes answers in flight and closes the database.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=60s --timeout=10s --start-period=90s --retries=3 CMD ["riderbot", "health"]
ENTRYPOINT ["riderbot"]
CMD ["run"]
