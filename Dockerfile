FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
RUN useradd --create-home --uid 10001 bot
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY knowledge ./knowledge
RUN pip install --no-cache-dir . && mkdir -p /app/data && chown bot:bot /app/data

USER bot
ENV BOT_DB_PATH=/app/data/bot.sqlite3 BOT_KNOWLEDGE_DIR=/app/knowledge
VOLUME ["/app/data"]
CMD ["python", "-m", "bot", "run"]
