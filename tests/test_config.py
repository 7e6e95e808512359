import pytest

from bot.config import ConfigError, load_config

TOKEN = "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def test_defaults_need_only_the_token(tmp_path):
    config = load_config({"BOT_TOKEN": TOKEN})
    assert config.token == TOKEN
    assert config.api_base_url is None
    assert config.db_path.parent.name == "data"
    assert (config.knowledge_dir / "topics.yaml").is_file()
    assert config.moderator_ids == frozenset()


def test_every_variable_is_read(tmp_path):
    config = load_config(
        {
            "BOT_TOKEN": TOKEN,
            "BOT_API_BASE_URL": "http://127.0.0.1:8081/bot",
            "BOT_API_BASE_FILE_URL": "http://127.0.0.1:8081/file/bot",
            "BOT_DB_PATH": str(tmp_path / "x" / "db.sqlite3"),
            "BOT_KNOWLEDGE_DIR": str(tmp_path),
            "BOT_MODERATOR_IDS": "1, 22,333",
        }
    )
    assert config.api_base_url == "http://127.0.0.1:8081/bot"
    assert config.api_base_file_url == "http://127.0.0.1:8081/file/bot"
    assert config.db_path == tmp_path / "x" / "db.sqlite3"
    assert config.knowledge_dir == tmp_path
    assert config.moderator_ids == {1, 22, 333}


@pytest.mark.parametrize(
    "env, names",
    [
        ({}, "BOT_TOKEN is not set"),
        ({"BOT_TOKEN": "not a token"}, "BOT_TOKEN does not look like a bot token"),
        ({"BOT_TOKEN": TOKEN, "BOT_API_BASE_URL": "localhost:8081"}, "BOT_API_BASE_URL must be an http(s) URL"),
        ({"BOT_TOKEN": TOKEN, "BOT_MODERATOR_IDS": "12,abc"}, "BOT_MODERATOR_IDS must be comma-separated"),
        ({"BOT_TOKEN": TOKEN, "BOT_KNOWLEDGE_DIR": "/nonexistent/k"}, "BOT_KNOWLEDGE_DIR: folder"),
        ({"BOT_TOKEN": TOKEN, "BOT_USER_KEY_SECRET": "short"}, "BOT_USER_KEY_SECRET must be at least 16"),
    ],
)
def test_a_bad_value_names_the_variable_in_one_line(env, names):
    with pytest.raises(ConfigError) as error:
        load_config(env)
    assert names in str(error.value)
    assert "\n" not in str(error.value)


def test_a_database_path_that_is_a_folder_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="BOT_DB_PATH"):
        load_config({"BOT_TOKEN": TOKEN, "BOT_DB_PATH": str(tmp_path)})


def test_the_token_is_optional_for_commands_that_do_not_talk_to_telegram():
    assert load_config({}, require_token=False).token is None


def test_retention_watcher_and_log_level_have_safe_defaults_and_are_read():
    default = load_config({}, require_token=False)
    assert (default.retention_days, default.watch_knowledge, default.log_level) == (90, False, "INFO")
    config = load_config(
        {"BOT_RETENTION_DAYS": "30", "BOT_WATCH_KNOWLEDGE": "yes", "BOT_LOG_LEVEL": "debug"}, require_token=False
    )
    assert (config.retention_days, config.watch_knowledge, config.log_level) == (30, True, "DEBUG")


@pytest.mark.parametrize(
    "env, names",
    [
        ({"BOT_RETENTION_DAYS": "0"}, "BOT_RETENTION_DAYS must be a number of days from 1 to 3650"),
        ({"BOT_RETENTION_DAYS": "90d"}, "BOT_RETENTION_DAYS must be a number of days from 1 to 3650"),
        ({"BOT_WATCH_KNOWLEDGE": "sometimes"}, "BOT_WATCH_KNOWLEDGE must be 1 or 0"),
        ({"BOT_LOG_LEVEL": "LOUD"}, "BOT_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR"),
    ],
)
def test_a_bad_issue_5_value_names_the_variable_in_one_line(env, names):
    with pytest.raises(ConfigError) as error:
        load_config(env, require_token=False)
    assert names in str(error.value) and "\n" not in str(error.value)


def test_the_token_and_the_user_key_secret_never_show_in_the_configs_repr():
    config = load_config({"BOT_TOKEN": TOKEN, "BOT_USER_KEY_SECRET": "a-long-enough-secret-value"})
    assert TOKEN not in repr(config) and "a-long-enough-secret-value" not in repr(config)
