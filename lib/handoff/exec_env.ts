/**
 * The environment of the `--exec` command: built from nothing, never inherited.
 * It sees only PATH, HOME, LANG, the operator's `--exec-env` allowlist and the
 * HOOKGATE_EVENT_* variables: never a secret hookgate knows, even when allowlisted.
 */
import { secretForms } from "../redact/mod.ts";
import type { StoredEvent } from "../store/mod.ts";

/** Always passed through when set: a command needs them to find programs and speak a locale. */
export const BASE_EXEC_ENV = ["PATH", "HOME", "LANG"] as const;
/** Set by hookgate for each event; an allowlist cannot override them. */
export const EVENT_ENV = [
  "HOOKGATE_EVENT_ID",
  "HOOKGATE_EVENT_KEY",
  "HOOKGATE_EVENT_ROUTE",
  "HOOKGATE_ATTEMPT",
  "HOOKGATE_RECEIVED_AT",
] as const;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Shorter secrets would be found inside unrelated values by chance. */
const MIN_CONTAINED_SECRET_CHARS = 8;

export interface ExecEnvPlan {
  /** The variables every run gets (before the per-event ones). */
  env: Record<string, string>;
  /** Allowlisted names that were not passed, each with the reason (for stderr at start-up). */
  refused: { name: string; reason: string }[];
  /** What was changed in a variable that is passed (for stderr at start-up). */
  notes: string[];
}

export interface PlanExecEnvOptions {
  /** `--exec-env NAME` values. */
  allowlist: readonly string[];
  /** Every secret value hookgate knows (webhook secrets, previous ones, the token key …). */
  secrets: readonly string[];
}

/**
 * Which of hookgate's variables the command may see. Pure: `env` is hookgate's
 * own environment (.env overlaid by the real one).
 */
export function planExecEnv(
  env: Record<string, string>,
  options: PlanExecEnvOptions,
): ExecEnvPlan {
  const plan: ExecEnvPlan = { env: {}, refused: [], notes: [] };
  const names = [...new Set([...BASE_EXEC_ENV, ...options.allowlist])];
  for (const name of names) {
    const allowlisted = options.allowlist.includes(name);
    const value = env[name];
    if (!ENV_NAME.test(name)) {
      plan.refused.push({ name, reason: "is not a valid variable name" });
    } else if ((EVENT_ENV as readonly string[]).includes(name)) {
      plan.refused.push({ name, reason: "is set by hookgate for each event" });
    } else if (value === undefined) {
      if (allowlisted) plan.refused.push({ name, reason: "is not set" });
    } else if (holdsSecret(value, options.secrets)) {
      plan.refused.push({
        name,
        reason: "holds a secret hookgate knows; secrets never reach the agent's environment",
      });
    } else if (name === "PATH") {
      const { path, dropped } = absolutePath(value);
      plan.env.PATH = path;
      if (dropped) {
        plan.notes.push(
          "the command's PATH leaves out the entries that are not absolute (., an empty one, a " +
            "relative one): the programs that start the agent would be looked for in the " +
            "agent's own directory",
        );
      }
    } else {
      plan.env[name] = value;
    }
  }
  return plan;
}

/**
 * PATH without its relative entries. `setsid`, `setpriv` and `unshare` are looked up through
 * it in the agent's working directory, before the switch to `--exec-user`: a relative entry
 * would let the agent plant a program there that hookgate then runs as its own user.
 */
function absolutePath(value: string): { path: string; dropped: boolean } {
  const entries = value.split(":");
  const kept = entries.filter((entry) => entry.startsWith("/"));
  return { path: kept.join(":"), dropped: kept.length !== entries.length };
}

/** A PEM key's armor line, the same in every key of its kind: no part of the secret. */
const PEM_ARMOR = /^-----[A-Z0-9 ]+-----$/;

/** Whether `value` is, or holds, a secret in any form it travels in (base64, hex, URL-encoded …). */
function holdsSecret(value: string, secrets: readonly string[]): boolean {
  return secrets.some((secret) =>
    secret !== "" &&
    (value === secret ||
      secretForms(secret).some((form) =>
        form.length >= MIN_CONTAINED_SECRET_CHARS && !PEM_ARMOR.test(form) && value.includes(form)
      ))
  );
}

/** The per-event variables. An environment value cannot hold NUL, so it is replaced. */
export function eventEnv(event: StoredEvent): Record<string, string> {
  const clean = (text: string) => text.replaceAll("\0", "\uFFFD");
  return {
    HOOKGATE_EVENT_ID: clean(event.id ?? ""),
    HOOKGATE_EVENT_KEY: clean(event.key),
    HOOKGATE_EVENT_ROUTE: clean(event.route),
    HOOKGATE_ATTEMPT: String(event.attempt),
    HOOKGATE_RECEIVED_AT: new Date(event.receivedAtMs).toISOString(),
  };
}
