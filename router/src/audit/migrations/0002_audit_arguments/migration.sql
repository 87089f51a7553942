-- Each root mutation field's arguments as its resolver received them (inline or from variables,
-- defaults included), keyed "field" or "alias: field", secrets and URLs redacted
-- (router/src/audit/root-arguments.ts). The variables column alone missed arguments written inline.
-- NULL on entries recorded before this column existed.
ALTER TABLE "audit_entries" ADD COLUMN "arguments" JSONB;
