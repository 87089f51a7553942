/** The router's audit log of mutations: store, recorder plugin and the in-process `audit` subgraph. */
export { AuditStore, AUDIT_OUTCOMES, type AuditEntry, type AuditLog, type AuditFilter, type AuditOutcome, type AuditRecord } from './audit-store';
export { auditPlugin, type AuditSink } from './recorder';
export { outcomeOf, type AuditedResult } from './outcome';
export { rootArguments } from './root-arguments';
export { auditDataSource, AUDIT_SCHEMA_PATH, AUDIT_SUBGRAPH } from './audit-subgraph';
export { redactSecrets, redactUrl, REDACTED, SECRET_KEY, URL_KEY } from './redact';
