-- The router's audit log: one row per mutation it ran (router/src/audit/recorder.ts). Rows are only
-- ever inserted; nothing in Joinery updates or deletes them.

CREATE TABLE "audit_entries" (
    "id" UUID NOT NULL,
    -- When the router received the mutation (millisecond precision: cursors carry it exactly).
    "at" TIMESTAMPTZ(3) NOT NULL,
    "subject" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    -- The caller's location ids, or '{*}' for every location.
    "locations" TEXT[] NOT NULL,
    "request_id" TEXT,
    "operation_name" TEXT,
    -- Root mutation field names, in the order the operation selected them.
    "fields" TEXT[] NOT NULL,
    -- The client's variables with secrets replaced by "[REDACTED]".
    "variables" JSONB NOT NULL,
    "outcome" TEXT NOT NULL,
    -- Error codes (FAILED) and userErrors codes, each once.
    "codes" TEXT[] NOT NULL,
    "duration_ms" INTEGER NOT NULL,
    CONSTRAINT "audit_entries_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "audit_entries_outcome_check" CHECK ("outcome" IN ('SUCCEEDED', 'USER_ERROR', 'FAILED'))
);

-- auditLog pages newest first, optionally for one subject, or one mutation field.
CREATE INDEX "audit_entries_at_id_idx" ON "audit_entries" ("at" DESC, "id" DESC);
CREATE INDEX "audit_entries_subject_at_id_idx" ON "audit_entries" ("subject", "at" DESC, "id" DESC);
CREATE INDEX "audit_entries_fields_idx" ON "audit_entries" USING GIN ("fields");
