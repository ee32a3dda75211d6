// The PostgreSQL store's schema, as versioned migrations applied in order by migrate.ts. A released migration is
// never edited: a change is a new version. Every table is prefixed `tributary_` so the schema can share a database.
//
// Why the dedupe lives in constraints: several instances write at once, and a read-then-write check ("is this link
// stored?" then INSERT) lets two of them store the same story. A unique constraint decides it inside the database.

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'items, story links, source states, change journal',
    sql: `
CREATE TABLE tributary_items (
  id             text PRIMARY KEY,
  source_id      text NOT NULL,
  key            text NOT NULL,
  canonical_link text,
  fingerprint    text,
  published      timestamptz NOT NULL,
  first_seen     timestamptz NOT NULL,
  updated        timestamptz NOT NULL,
  item           jsonb NOT NULL,
  UNIQUE (source_id, key)
);
CREATE INDEX tributary_items_published ON tributary_items (published DESC, id);
CREATE INDEX tributary_items_source_published ON tributary_items (source_id, published DESC, id);
CREATE INDEX tributary_items_fingerprint ON tributary_items (fingerprint) WHERE fingerprint IS NOT NULL;

-- The first item stored with a canonical link claims it: a second source's item with that link is the same story
-- (it joins alsoIn), decided by this primary key even when two instances insert at the same moment.
CREATE TABLE tributary_story_links (
  canonical_link text PRIMARY KEY,
  item_id        text NOT NULL REFERENCES tributary_items (id) ON DELETE CASCADE
);
CREATE INDEX tributary_story_links_item ON tributary_story_links (item_id);

-- A source's state as the embedded store keeps it (validators, counters, errors, and the bounded memory of keys
-- retention dropped, so that a source still listing an old story does not bring it back).
CREATE TABLE tributary_sources (
  source_id  text PRIMARY KEY,
  state      jsonb NOT NULL,
  updated_at timestamptz NOT NULL
);

-- Every change to the items, in order: what renderers (in any instance) read to re-render only what changed.
-- The item before and after the change, as ItemChange: a renderer takes a dropped or replaced item out of its feed
-- lists by its old place. Trimmed by the store (tributary_changes older than what every reader has read).
CREATE TABLE tributary_changes (
  seq     bigserial PRIMARY KEY,
  item_id text NOT NULL,
  before  jsonb,
  after   jsonb,
  at      timestamptz NOT NULL DEFAULT now()
);
`,
  },
  {
    version: 2,
    name: 'fetch leases, shared host politeness, rendered documents, instances',
    sql: `
-- A due source is fetched by the instance holding its lease; a lease of a killed instance runs out and another
-- instance takes the source (SELECT … FOR UPDATE SKIP LOCKED on this table).
CREATE TABLE tributary_leases (
  source_id   text PRIMARY KEY,
  due_at      timestamptz NOT NULL,
  holder      text,
  expires_at  timestamptz,
  taken_count bigint NOT NULL DEFAULT 0
);
CREATE INDEX tributary_leases_due ON tributary_leases (due_at);

-- Per-host politeness shared by all instances: the next moment a request may start, and a Retry-After pause.
CREATE TABLE tributary_hosts (
  host         text PRIMARY KEY,
  next_at      timestamptz NOT NULL DEFAULT now(),
  paused_until timestamptz
);

-- Rendered documents, written by the one renderer and served from memory by every instance: the same bytes and
-- ETag whichever instance answers.
CREATE TABLE tributary_rendered (
  name          text PRIMARY KEY,
  etag          text NOT NULL,
  content_type  text NOT NULL,
  last_modified timestamptz NOT NULL,
  body          bytea NOT NULL,
  revision      bigint NOT NULL
);

CREATE TABLE tributary_instances (
  id         text PRIMARY KEY,
  role       text NOT NULL,
  started_at timestamptz NOT NULL,
  seen_at    timestamptz NOT NULL
);
`,
  },
  {
    version: 3,
    name: 'tags of each item, alsoIn index, change journal by transaction, settings',
    sql: `
-- The tags an item is shown under (its source's, those of the sources it is also in, and the rule tags), as the
-- writer's config gave them: a tag feed's first page is the newest rows holding its tag.
ALTER TABLE tributary_items ADD COLUMN tags text[] NOT NULL DEFAULT '{}';
CREATE INDEX tributary_items_tags ON tributary_items USING gin (tags);
-- A source's items appear in its own feed and in the feeds of the sources they are also in.
CREATE INDEX tributary_items_also_in ON tributary_items USING gin ((item->'alsoIn'));
-- The transaction that wrote each change. Sequence numbers are taken in one order and committed in another, so a
-- reader that followed seq alone could skip a change committed late with a lower seq. Readers follow the oldest
-- transaction still running instead (pg_snapshot_xmin): every change of a transaction below it is visible.
ALTER TABLE tributary_changes ADD COLUMN xid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX tributary_changes_xid ON tributary_changes (xid);
-- What the tags of the stored items were computed from (sources' tags and rules), under 'tagging': when the
-- config's differs, the tags are computed again.
CREATE TABLE tributary_settings (
  name  text PRIMARY KEY,
  value text NOT NULL
);
`,
  },
  {
    version: 4,
    name: 'host slots: fetch.hostConcurrency over all instances',
    sql: `
-- A request to a host holds one of its numbered slots (0 .. hostConcurrency - 1) while it runs, whichever instance
-- makes it; a slot is renewed with the fetch leases, so a killed instance's frees itself at expires_at.
CREATE TABLE tributary_host_slots (
  host       text NOT NULL,
  slot       int NOT NULL,
  holder     text NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (host, slot)
);
`,
  },
  {
    version: 5,
    name: 'built-in WebSub hub: subscriptions, leased deliveries queued with each publication',
    sql: `
-- The built-in hub's verified subscriptions, shared by every instance (each keeps a mirror, following NOTIFY
-- tributary_websub). doc_name is the published document (tributary_rendered.name) the topic URL names.
CREATE TABLE tributary_websub_subscriptions (
  topic      text NOT NULL,
  callback   text NOT NULL,
  doc_name   text NOT NULL,
  host       text NOT NULL,
  secret     text,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (topic, callback)
);
CREATE INDEX tributary_websub_subscriptions_doc ON tributary_websub_subscriptions (doc_name);
CREATE INDEX tributary_websub_subscriptions_host ON tributary_websub_subscriptions (host);

-- Content owed to a subscriber: one row per subscription, whatever the number of changes since (the current
-- content is sent). Taken under a lease like a source (holder, lease_until); a failed attempt is due again later.
-- changes counts the publications queued, so a change during a send is sent again.
CREATE TABLE tributary_websub_deliveries (
  topic       text NOT NULL,
  callback    text NOT NULL,
  doc_name    text NOT NULL,
  due_at      timestamptz NOT NULL DEFAULT now(),
  attempts    integer NOT NULL DEFAULT 0,
  changes     bigint NOT NULL DEFAULT 1,
  holder      text,
  lease_until timestamptz,
  PRIMARY KEY (topic, callback),
  FOREIGN KEY (topic, callback) REFERENCES tributary_websub_subscriptions ON DELETE CASCADE
);
CREATE INDEX tributary_websub_deliveries_due ON tributary_websub_deliveries (due_at);

-- Requests accepted (202) by an instance that stopped before verifying them, verified by the next to start.
CREATE TABLE tributary_websub_verifications (
  topic         text NOT NULL,
  callback      text NOT NULL,
  mode          text NOT NULL,
  lease_seconds integer NOT NULL,
  secret        text,
  PRIMARY KEY (topic, callback)
);

-- A document published with new bytes owes its content to its topic's subscribers: queued in the publishing
-- transaction itself, so a renderer killed right after its commit loses no delivery, and none is queued for a
-- render that did not commit. (An unchanged document is not updated: publishRendered's ON CONFLICT … WHERE.)
CREATE FUNCTION tributary_websub_queue() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO tributary_websub_deliveries (topic, callback, doc_name)
    SELECT topic, callback, doc_name FROM tributary_websub_subscriptions WHERE doc_name = NEW.name
  ON CONFLICT (topic, callback) DO UPDATE SET changes = tributary_websub_deliveries.changes + 1;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER tributary_websub_queue AFTER INSERT OR UPDATE ON tributary_rendered
  FOR EACH ROW EXECUTE FUNCTION tributary_websub_queue();
`,
  },
  {
    version: 6,
    name: 'title fingerprints indexed with their date',
    sql: `
-- A write looks for another source's item of the same title within a window of dates (write-batch.ts SAME_TITLE):
-- with the fingerprint alone indexed, a planner without statistics yet (a new store's first minutes) combined it
-- with the date index, whose window held nearly every row, and read it whole for each item written.
CREATE INDEX tributary_items_fingerprint_published ON tributary_items (fingerprint, published) WHERE fingerprint IS NOT NULL;
DROP INDEX tributary_items_fingerprint;
`,
  },
  {
    version: 7,
    name: 'rendered documents published gzip-compressed',
    sql: `
-- The renderer publishes each document compressed (zlib's default level, what a reader asking for gzip is sent) with
-- its length: every instance holds it as it arrives, rather than reading the body (twice its size as bytea text)
-- and compressing it again, once per instance. EXTERNAL: stored out of line as it is, not compressed again.
-- Rows written before keep their body and no gzip; a follower compresses those as it always did.
ALTER TABLE tributary_rendered ALTER COLUMN body DROP NOT NULL;
ALTER TABLE tributary_rendered ADD COLUMN gzip bytea, ADD COLUMN size integer;
ALTER TABLE tributary_rendered ALTER COLUMN gzip SET STORAGE EXTERNAL;
`,
  },
];

/** The newest schema version this code knows. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
