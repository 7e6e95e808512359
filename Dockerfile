# The bot in a container: `docker build -t newcomer-bot .`, then
#   docker run -d --name newcomer-bot -e BOT_TOKEN=123456:ABC... -v newcomer-data:/app/data newcomer-bot
# The knowledge is baked in (/app/knowledge); mount your own over it to replace it:
#   -v "$PWD/knowledge:/app/knowledge:ro"
# A host folder instead of the named volume must be writable by uid 10001: `chown 10001:10001 ./data`
# Webhook mode: add -e BOT_WEBHOOK_URL=https://… -e BOT_WEBHOOK_SECRET=… -p 8443:8443 and the command
#   python -m bot run --webhook
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
RUN groupadd --system --gid 10001 bot \
    && useradd --system --uid 10001 --gid bot --no-create-home --home-dir /app --shell /usr/sbin/nologin bot

# the package and its dependencies (compiled to bytecode at install time)
COPY pyproject.toml README.md ./
COPY bot ./bot
# (the build leaves newcomer_bot.egg-info in /app, a second copy of the metadata on sys.path when CWD=/app)
RUN pip install --no-cache-dir . && rm -rf /app/bot /app/build /app/*.egg-info /app/pyproject.toml /app/README.md

# the knowledge, replaceable by a volume; the database and the generated user-key secret on a volume
COPY knowledge ./knowledge
RUN mkdir -p /app/data && chown bot:bot /app/data

USER bot
ENV BOT_DB_PATH=/app/data/bot.sqlite3 \
    BOT_KNOWLEDGE_DIR=/app/knowledge \
    BOT_HEARTBEAT_FILE=/tmp/bot-heartbeat \
    BOT_WEBHOOK_LISTEN=0.0.0.0 \
    BOT_WEBHOOK_PORT=8443
VOLUME ["/app/data"]
EXPOSE 8443

# the job queue rewrites the heartbeat every 15 s; older than 60 s means the bot is stuck or gone
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["python", "-m", "bot.health"]

# exec form: the bot is PID 1 and gets SIGTERM from `docker stop`, finishes what it is answering,
# writes the query log and exits (well within docker's default 10 s)
STOPSIGNAL SIGTERM
CMD ["python", "-m", "bot", "run"]
