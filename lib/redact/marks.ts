/** What every removed credential is replaced by, in every sink. */
export const REDACTED = "***redacted***";

/**
 * What hookgate appends where it shortened text it could not redact with every known
 * secret (an unusable URL quoted in an egress verdict). A redactor that knows the secrets
 * removes a piece of one just before this mark.
 */
export const CUT_MARK = "…";
