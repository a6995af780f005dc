import type { Knex } from 'knex';

// Supporting documents (证明材料): one `documents` row per file (what it is attached to, its sniffed media type,
// size, the SHA-256 of the plaintext, withdrawal and erasure), the bytes as AES-256-GCM sealed chunks in
// `document_chunks` (or as objects in an S3-compatible store, `storage = 's3'`). The triggers keep the record
// honest whatever the service does: the facts of a file never change once it is complete, a document is only
// ever withdrawn (never deleted), and chunks are deleted only for a document marked erased after its retention.
export async function up(knex: Knex) {
  await knex.raw(`
    CREATE TABLE documents (
      id serial PRIMARY KEY,
      owner_kind text NOT NULL CHECK (owner_kind IN ('household', 'assessment', 'aid_case', 'exit', 'visit')),
      owner_id integer NOT NULL,
      household_id integer NOT NULL,
      title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
      media_type text NOT NULL CHECK (media_type IN ('application/pdf', 'image/jpeg', 'image/png', 'image/heic', 'image/heif')),
      size_bytes bigint NOT NULL DEFAULT 0 CHECK (size_bytes >= 0),
      sha256 text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
      chunk_size integer NOT NULL CHECK (chunk_size > 0),
      chunk_count integer NOT NULL DEFAULT 0 CHECK (chunk_count >= 0),
      storage text NOT NULL CHECK (storage IN ('database', 's3')),
      status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'withdrawn')),
      created_by text NOT NULL,
      created_at timestamptz NOT NULL,
      withdrawn_by text,
      withdrawn_at timestamptz,
      withdraw_reason text,
      erase_after timestamptz,
      erased_at timestamptz,
      CHECK ((status = 'withdrawn') = (withdrawn_at IS NOT NULL AND erase_after IS NOT NULL AND withdraw_reason IS NOT NULL)),
      CHECK (erased_at IS NULL OR (status = 'withdrawn' AND erased_at >= erase_after))
    );
    CREATE INDEX documents_owner ON documents (owner_kind, owner_id);
    CREATE INDEX documents_household ON documents (household_id);
    CREATE INDEX documents_to_erase ON documents (erase_after) WHERE erased_at IS NULL AND erase_after IS NOT NULL;

    CREATE TABLE document_chunks (
      document_id integer NOT NULL REFERENCES documents (id),
      seq integer NOT NULL CHECK (seq >= 0),
      bytes bytea NOT NULL,
      PRIMARY KEY (document_id, seq)
    );

    -- A document's facts are fixed once its upload completed (sha256 set); status only goes active -> withdrawn;
    -- withdrawal and erasure are recorded once.
    CREATE FUNCTION documents_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'documents are withdrawn, never deleted' USING ERRCODE = 'restrict_violation';
      END IF;
      IF (NEW.owner_kind, NEW.owner_id, NEW.household_id, NEW.media_type, NEW.storage, NEW.chunk_size, NEW.created_by, NEW.created_at)
         IS DISTINCT FROM (OLD.owner_kind, OLD.owner_id, OLD.household_id, OLD.media_type, OLD.storage, OLD.chunk_size, OLD.created_by, OLD.created_at)
         OR (OLD.sha256 IS NOT NULL AND (NEW.sha256, NEW.size_bytes, NEW.chunk_count, NEW.title)
             IS DISTINCT FROM (OLD.sha256, OLD.size_bytes, OLD.chunk_count, OLD.title))
         OR (OLD.status = 'withdrawn' AND (NEW.status, NEW.withdrawn_by, NEW.withdrawn_at, NEW.withdraw_reason, NEW.erase_after)
             IS DISTINCT FROM (OLD.status, OLD.withdrawn_by, OLD.withdrawn_at, OLD.withdraw_reason, OLD.erase_after))
         OR (OLD.erased_at IS NOT NULL AND NEW.erased_at IS DISTINCT FROM OLD.erased_at) THEN
        RAISE EXCEPTION 'a document''s recorded facts do not change' USING ERRCODE = 'restrict_violation';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER documents_guard BEFORE UPDATE OR DELETE ON documents FOR EACH ROW EXECUTE FUNCTION documents_guard();

    -- Chunks: added only while the upload is open, never changed, deleted only once the document is marked erased.
    CREATE FUNCTION document_chunks_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        IF EXISTS (SELECT 1 FROM documents d WHERE d.id = NEW.document_id AND d.sha256 IS NOT NULL) THEN
          RAISE EXCEPTION 'chunks of a complete document are not added to' USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NEW;
      END IF;
      IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM documents d WHERE d.id = OLD.document_id AND d.erased_at IS NOT NULL) THEN
        RETURN OLD;
      END IF;
      RAISE EXCEPTION 'document chunks are erased only after the retention period' USING ERRCODE = 'restrict_violation';
    END $$;
    CREATE TRIGGER document_chunks_guard BEFORE INSERT OR UPDATE OR DELETE ON document_chunks FOR EACH ROW EXECUTE FUNCTION document_chunks_guard();
  `);
}

export async function down(knex: Knex) {
  await knex.raw(`
    DROP TABLE document_chunks;
    DROP TABLE documents;
    DROP FUNCTION document_chunks_guard();
    DROP FUNCTION documents_guard();
  `);
}
