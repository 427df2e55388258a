"""The archive schema, as named migrations.

Each migration runs once, in its own transaction, and is recorded in `_sqlite_migrations`
(sqlite-utils' Migrations). Add new migrations at the end; never edit one that has shipped.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

migrations = Migrations("crackdown")


@migrations(name="0001_core_tables")
def _core_tables(db: Database) -> None:
    db.execute("""
        CREATE TABLE sources (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            type TEXT NOT NULL,
            url TEXT NOT NULL,
            tier TEXT NOT NULL,
            lang TEXT,
            last_ok_at TEXT,
            last_error TEXT,
            last_error_at TEXT,
            consecutive_failures INTEGER NOT NULL DEFAULT 0,
            items_total INTEGER NOT NULL DEFAULT 0,
            last_attempt_at TEXT,
            last_item_count INTEGER
        )""")
    db.execute("""
        CREATE TABLE stories (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            size INTEGER NOT NULL DEFAULT 1
        )""")
    db.execute("""
        CREATE TABLE posts (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL UNIQUE,
            source_id TEXT NOT NULL REFERENCES sources(id),
            title TEXT NOT NULL,
            body TEXT NOT NULL DEFAULT '',
            author TEXT,
            published_at TEXT,
            fetched_at TEXT NOT NULL,
            lang TEXT,
            content_hash TEXT NOT NULL,
            story_id INTEGER REFERENCES stories(id),
            guid TEXT,
            origin TEXT
        )""")
    # The brief selects by day: posts are dated by publication, else by first sight.
    db.execute("CREATE INDEX idx_posts_day ON posts(COALESCE(published_at, fetched_at))")
    db.execute("CREATE INDEX idx_posts_source ON posts(source_id)")
    db.execute("CREATE INDEX idx_posts_hash ON posts(content_hash)")
    db.execute("CREATE INDEX idx_posts_story ON posts(story_id)")
    db.execute("""
        CREATE TABLE tags (
            post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
            topic TEXT NOT NULL,
            score REAL NOT NULL,
            method TEXT NOT NULL,
            model_version TEXT NOT NULL,
            PRIMARY KEY (post_id, topic)
        )""")
    db.execute("CREATE INDEX idx_tags_topic ON tags(topic, post_id)")
    db.execute("""
        CREATE TABLE classifications (
            post_id INTEGER PRIMARY KEY REFERENCES posts(id) ON DELETE CASCADE,
            model_version TEXT NOT NULL,
            classified_at TEXT NOT NULL,
            scores TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX idx_classifications_version ON classifications(model_version)")
    db.execute("""
        CREATE TABLE embeddings (
            post_id INTEGER PRIMARY KEY REFERENCES posts(id) ON DELETE CASCADE,
            encoder TEXT NOT NULL,
            dim INTEGER NOT NULL,
            vector BLOB NOT NULL
        )""")
    db.execute("""
        CREATE TABLE marketplaces (
            post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
            marketplace TEXT NOT NULL,
            PRIMARY KEY (post_id, marketplace)
        )""")
    db.execute("CREATE INDEX idx_marketplaces_m ON marketplaces(marketplace, post_id)")
    db.execute("""
        CREATE TABLE labels (
            id INTEGER PRIMARY KEY,
            post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
            topic TEXT NOT NULL,
            value INTEGER NOT NULL CHECK (value IN (0, 1)),
            created_at TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX idx_labels_post ON labels(post_id, topic)")
    db.execute("""
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            command TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,
            stats TEXT,
            error TEXT
        )""")
    db.execute("""
        CREATE TABLE briefs (
            date TEXT PRIMARY KEY,
            generated_at TEXT NOT NULL,
            subject TEXT,
            html TEXT NOT NULL,
            text TEXT NOT NULL,
            sent_at TEXT,
            recipients TEXT
        )""")


@migrations(name="0002_posts_fts", transactional=False)
def _posts_fts(db: Database) -> None:
    # The sqlite-utils layout (posts_fts with content=posts and _ai/_ad/_au triggers) is what
    # `sqlite-utils search` and Datasette's search box look for.
    db["posts"].enable_fts(["title", "body"], create_triggers=True, replace=True)


@migrations(name="0003_views")
def _views(db: Database) -> None:
    db.execute("""
        CREATE VIEW tagged_posts AS
        SELECT p.id AS post_id, p.url, p.title, p.published_at, p.fetched_at,
               COALESCE(p.published_at, p.fetched_at) AS dated_at, p.lang,
               p.source_id, s.name AS source_name, s.tier,
               t.topic, t.score, t.method, t.model_version, p.story_id
        FROM posts p
        JOIN sources s ON s.id = p.source_id
        JOIN tags t ON t.post_id = p.id""")
    db.execute("""
        CREATE VIEW daily_topic_counts AS
        SELECT substr(COALESCE(p.published_at, p.fetched_at), 1, 10) AS day,
               t.topic, COUNT(*) AS posts, COUNT(DISTINCT p.source_id) AS sources
        FROM posts p JOIN tags t ON t.post_id = p.id
        GROUP BY day, t.topic""")


@migrations(name="0500_brief_source_day_and_send_errors")
def _brief_source_day(db: Database) -> None:
    # Source health asks "last post of this source before day D" and "posts in the baseline
    # window" per source; at a million posts that must be an index seek, not a scan.
    db.execute("CREATE INDEX IF NOT EXISTS idx_posts_source_day "
               "ON posts(source_id, COALESCE(published_at, fetched_at))")
    # A failed send is remembered, so the next run or `brief --send` retries exactly those briefs
    # (and not every brief someone merely previewed).
    db.execute("ALTER TABLE briefs ADD COLUMN send_error TEXT")
    db.execute("ALTER TABLE briefs ADD COLUMN send_failed_at TEXT")


@migrations(name="0600_1_posts_trigram")
def _posts_trigram(db: Database) -> None:
    # Chinese has no spaces, so posts_fts (unicode61) sees a whole sentence as one "word".
    # A trigram index finds any substring of 3+ characters. It holds only posts with CJK
    # ideographs (a tenth of the size of indexing everything) and keeps its own copy of their
    # text: a partial external-content index would fail FTS5 integrity checks. Not linked to
    # posts by content=, so Datasette and sqlite-utils keep using posts_fts for the posts table.
    from crackdown.archive.search import CJK_GLOB

    db.execute("CREATE VIRTUAL TABLE posts_trigram USING fts5(title, body, tokenize='trigram')")
    is_cjk = "({row}.title || ' ' || {row}.body) GLOB '" + CJK_GLOB + "'"
    db.execute(f"""CREATE TRIGGER posts_trigram_ai AFTER INSERT ON posts WHEN {is_cjk.format(row='new')}
                   BEGIN INSERT INTO posts_trigram (rowid, title, body)
                         VALUES (new.id, new.title, new.body); END""")
    db.execute("""CREATE TRIGGER posts_trigram_ad AFTER DELETE ON posts
                  BEGIN DELETE FROM posts_trigram WHERE rowid = old.id; END""")
    db.execute(f"""CREATE TRIGGER posts_trigram_au AFTER UPDATE OF title, body ON posts
                   BEGIN DELETE FROM posts_trigram WHERE rowid = old.id;
                         INSERT INTO posts_trigram (rowid, title, body)
                         SELECT new.id, new.title, new.body WHERE {is_cjk.format(row='new')}; END""")
    db.execute(f"INSERT INTO posts_trigram (rowid, title, body) SELECT p.id, p.title, p.body "
               f"FROM posts p WHERE {is_cjk.format(row='p')}")


@migrations(name="0600_2_embedding_index")
def _embedding_index(db: Database) -> None:
    # Derived data for `crackdown similar` (crackdown/archive/similar.py): the sign bits of the
    # stored embeddings in chunks, so a million posts are one 50 MB read rather than 1.5 GB.
    db.execute("""
        CREATE TABLE embedding_index (
            chunk INTEGER PRIMARY KEY,
            encoder TEXT NOT NULL,
            post_ids BLOB NOT NULL,
            bits BLOB NOT NULL
        )""")


@migrations(name="1200_events")
def _events(db: Database) -> None:
    # An enforcement wave followed across days (reports/events.py). Everything a card, a timeline
    # or a backtest shows is copied here (first posts' titles and links, per-day counts, named
    # parties, story titles), so an event outlives `prune` of its posts as history.
    db.execute("""
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            topic TEXT NOT NULL,
            marketplace TEXT NOT NULL,
            start_day TEXT NOT NULL,
            first_day TEXT NOT NULL,
            last_day TEXT NOT NULL,
            last_active_day TEXT NOT NULL,
            end_day TEXT,
            status TEXT NOT NULL,
            baseline_mean REAL NOT NULL,
            peak_day TEXT NOT NULL,
            peak_count INTEGER NOT NULL,
            posts INTEGER NOT NULL,
            sources INTEGER NOT NULL,
            first_post_at TEXT, first_post_source TEXT, first_post_tier TEXT,
            first_post_title TEXT, first_post_url TEXT,
            first_media_at TEXT, first_media_source TEXT, first_media_title TEXT, first_media_url TEXT,
            first_official_at TEXT, first_official_source TEXT, first_official_title TEXT,
            first_official_url TEXT,
            parties TEXT NOT NULL DEFAULT '[]',
            daily TEXT NOT NULL DEFAULT '[]',
            updated_at TEXT NOT NULL,
            UNIQUE (topic, marketplace, start_day)
        )""")
    db.execute("CREATE INDEX idx_events_open ON events(end_day, topic, marketplace)")
    db.execute("""
        CREATE TABLE event_stories (
            event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
            story_id INTEGER NOT NULL,
            title TEXT NOT NULL,
            first_seen TEXT,
            posts INTEGER NOT NULL,
            PRIMARY KEY (event_id, story_id)
        )""")
    # The days the tracker has stepped through: a rerun of one of them changes nothing.
    db.execute("CREATE TABLE event_days (day TEXT PRIMARY KEY, updated_at TEXT NOT NULL)")


# (named to sort after 1200_events: the migrations' names stay in applied order)
@migrations(name="1200_fts_reindex_on_text_change_only")
def _posts_fts_text_updates_only(db: Database) -> None:
    # sqlite-utils' posts_au trigger re-indexes a post in posts_fts on *any* update: setting
    # story_id on a day's posts (every brief does) rewrote ~2,800 FTS rows and took 23 s of a
    # brief at a million posts. Only a new title or body changes what is indexed.
    db.execute("DROP TRIGGER IF EXISTS posts_au")
    db.execute("""CREATE TRIGGER posts_au AFTER UPDATE OF title, body ON posts BEGIN
        INSERT INTO posts_fts (posts_fts, rowid, title, body)
            VALUES ('delete', old.rowid, old.title, old.body);
        INSERT INTO posts_fts (rowid, title, body) VALUES (new.rowid, new.title, new.body);
    END""")


@migrations(name="1300_notifications")
def _notifications(db: Database) -> None:
    # Chat notifications (crackdown/archive/notifications.py): what was announced (a wave start,
    # a day's brief), its delivery per channel (retried by the next run until sent), and the
    # waves alerted, so that `watch` alerts once per topic × marketplace per day. No secrets:
    # channels are named by their config id.
    db.execute("""
        CREATE TABLE notifications (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            date TEXT NOT NULL,
            created_at TEXT NOT NULL,
            data TEXT NOT NULL,
            UNIQUE (kind, key)
        )""")
    db.execute("""
        CREATE TABLE notification_deliveries (
            notification_id INTEGER NOT NULL REFERENCES notifications(id) ON DELETE CASCADE,
            channel TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            last_attempt_at TEXT,
            sent_at TEXT,
            error TEXT,
            PRIMARY KEY (notification_id, channel)
        )""")
    db.execute("""
        CREATE TABLE wave_alerts (
            date TEXT NOT NULL,
            topic TEXT NOT NULL,
            marketplace TEXT NOT NULL,
            notification_id INTEGER REFERENCES notifications(id) ON DELETE SET NULL,
            detected_at TEXT NOT NULL,
            posts INTEGER NOT NULL,
            expected REAL NOT NULL,
            p_value REAL NOT NULL,
            PRIMARY KEY (date, topic, marketplace)
        )""")


@migrations(name="1500_source_empty_runs")
def _source_empty_runs(db: Database) -> None:
    # A source whose list loads but yields nothing, run after run, has usually changed layout or
    # platform: the streak, since when, and what matched nothing (a selector, a JSON path) let
    # `crackdown sources --check` say so instead of a bare "0 items".
    db.execute("ALTER TABLE sources ADD COLUMN empty_runs INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE sources ADD COLUMN empty_since TEXT")
    db.execute("ALTER TABLE sources ADD COLUMN empty_reason TEXT")


@migrations(name="1600_multilingual_embeddings")
def _multilingual_embeddings(db: Database) -> None:
    # The multilingual encoder's vector of a post it classified (title and body start): unlike the
    # English encoder's, it places a Chinese report near the English coverage of the same event,
    # which lets story grouping join them without a shared brand name.
    db.execute("""
        CREATE TABLE ml_embeddings (
            post_id INTEGER PRIMARY KEY REFERENCES posts(id) ON DELETE CASCADE,
            encoder TEXT NOT NULL,
            dim INTEGER NOT NULL,
            vector BLOB NOT NULL
        )""")


def apply(db: Database) -> None:
    """Bring the archive's schema up to date (safe to call on every open)."""
    migrations.apply(db)
