"""The production settings (issue 6): webhook, heartbeat, rate limit, concurrency, API timeout."""

from pathlib import Path

import pytest

from bot.config import ConfigError, load_config, require_webhook

TOKEN = "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def test_the_defaults_poll_with_telegrams_limits_and_no_heartbeat():
    config = load_config({"BOT_TOKEN": TOKEN})
    assert (config.webhook_url, config.webhook_secret, config.heartbeat_file) == (None, None, None)
    assert (config.webhook_listen, config.webhook_port) == ("0.0.0.0", 8443)
    assert config.rate_limit is True and config.concurrent_updates == 8 and config.api_timeout == 10.0
    with pytest.raises(ConfigError, match="BOT_WEBHOOK_URL"):
        require_webhook(config)


def test_every_production_variable_is_read():
    config = load_config(
        {
            "BOT_TOKEN": TOKEN,
            "BOT_WEBHOOK_URL": "https://bot.example.org/hooks/telegram",
            "BOT_WEBHOOK_LISTEN": "127.0.0.1",
            "BOT_WEBHOOK_PORT": "8080",
            "BOT_WEBHOOK_SECRET": "A" * 32,
            "BOT_HEARTBEAT_FILE": "/tmp/beat",
            "BOT_RATE_LIMIT": "0",
            "BOT_CONCURRENT_UPDATES": "32",
            "BOT_API_TIMEOUT": "2.5",
        }
    )
    require_webhook(config)
    assert (
        config.webhook_path == "hooks/telegram" and config.webhook_port == 8080 and config.webhook_listen == "127.0.0.1"
    )
    assert config.heartbeat_file == Path("/tmp/beat") and config.rate_limit is False
    assert config.concurrent_updates == 32 and config.api_timeout == 2.5
    assert "A" * 32 not in repr(config) and TOKEN not in repr(config)  # secrets never in a repr


@pytest.mark.parametrize(
    "env, name",
    [
        ({"BOT_WEBHOOK_URL": "http://bot.example.org/hook"}, "BOT_WEBHOOK_URL"),  # Telegram needs https
        ({"BOT_WEBHOOK_URL": "bot.example.org"}, "BOT_WEBHOOK_URL"),
        ({"BOT_WEBHOOK_SECRET": "short"}, "BOT_WEBHOOK_SECRET"),
        ({"BOT_WEBHOOK_SECRET": "has spaces in it, not allowed"}, "BOT_WEBHOOK_SECRET"),
        ({"BOT_WEBHOOK_PORT": "http"}, "BOT_WEBHOOK_PORT"),
        ({"BOT_WEBHOOK_PORT": "70000"}, "BOT_WEBHOOK_PORT"),
        ({"BOT_WEBHOOK_LISTEN": "0.0.0.0; rm -rf /"}, "BOT_WEBHOOK_LISTEN"),
        ({"BOT_RATE_LIMIT": "maybe"}, "BOT_RATE_LIMIT"),
        ({"BOT_CONCURRENT_UPDATES": "0"}, "BOT_CONCURRENT_UPDATES"),
        ({"BOT_API_TIMEOUT": "soon"}, "BOT_API_TIMEOUT"),
    ],
)
def test_a_malformed_production_value_is_one_line_naming_it(env, name):
    with pytest.raises(ConfigError) as caught:
        load_config({"BOT_TOKEN": TOKEN, **env})
    message = str(caught.value)
    assert message.startswith(name) and "\n" not in message


def test_webhook_mode_also_needs_the_secret():
    config = load_config({"BOT_TOKEN": TOKEN, "BOT_WEBHOOK_URL": "https://bot.example.org/hook"})
    with pytest.raises(ConfigError, match="BOT_WEBHOOK_SECRET"):
        require_webhook(config)
