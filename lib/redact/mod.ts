/**
 * The redactor: one for every sink (stdout, stderr, the trace, errors, `hookgate redact`).
 * The rules it applies are described in docs/redaction.md.
 */
export { CUT_MARK, REDACTED } from "./marks.ts";
export { KnownSecrets, MIN_SECRET_CHARS, secretForms } from "./known_secrets.ts";
export { secretValuesFromEnv } from "./env_secrets.ts";
export { createRedactor, type Redactor, type RedactorOptions } from "./redactor.ts";
export { stringifyRedacted, stringifyRedactedLines } from "./serialize.ts";
export {
  redactBytesCutAtStart,
  redactBytesThenTruncate,
  redactThenTruncate,
  type RedactThenTruncateOptions,
  type TruncatedText,
  truncateForPrinting,
} from "./truncate.ts";
export {
  createLineRedactor,
  createRedactStream,
  DEFAULT_MAX_LINE_CHARS,
  type LineRedactor,
  type LineRedactorOptions,
  redactText,
  type RedactTextOptions,
} from "./stream.ts";
export { isSecretKey, type KeyKind, keyKind } from "./secret_key.ts";
