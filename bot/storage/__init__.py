"""All persistent state in one SQLite database, reached only through `Storage`'s named methods.

`Storage` is the database (`migrations`) with the query log and preferences (`queries`) and moderation's
tables (`moderation`) on top, sharing one connection and one lock; `rows` types what they return.
"""

from bot.storage.migrations import MIGRATIONS, SCHEMA_VERSION, StorageError
from bot.storage.moderation import ModerationStore
from bot.storage.privacy import UserKeys
from bot.storage.queries import QueryStore
from bot.storage.rows import QueryRecord, clean_record, clean_text, utcnow

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "QueryRecord",
    "Storage",
    "StorageError",
    "UserKeys",
    "clean_record",
    "clean_text",
    "utcnow",
]


class Storage(QueryStore, ModerationStore):
    """Every store on one connection: `Storage.open(path)`, then `add_queries`, `language`, `mod_*`, ..."""
