/**
 * Strict argument parsing for every command, on node:util's parseArgs: an unknown flag or a
 * missing value is a usage error (64) naming the command's `--help`, and numbers and
 * positionals are checked in one place so every command words its errors alike.
 */
import { errorMessage } from "../util/mod.ts";
import { type NumberParser, parseOptionalNumber } from "../setup/mod.ts";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { usageError } from "./cli_error.ts";
import { longOptionsFor, suggest } from "./did_you_mean.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

export interface ParsedArgs<T extends Options> {
  values: {
    [K in keyof T]?: T[K] extends { type: "boolean" } ? boolean
      : T[K] extends { multiple: true } ? string[]
      : string;
  };
  positionals: string[];
  help: boolean;
}

/**
 * Parses a command's arguments strictly. An unknown flag or a missing value is
 * a usage error (exit 64) that names the command's `--help`.
 */
export function parseCommandArgs<T extends Options>(
  command: string,
  args: string[],
  options: T,
): ParsedArgs<T> {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: { ...options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
    const { help, ...rest } = values as Record<string, unknown>;
    return { values: rest as ParsedArgs<T>["values"], positionals, help: help === true };
  } catch (error) {
    const message = errorMessage(error);
    // node's advice about '--' quotes the flag back half-escaped; the first sentence is the point.
    const first = (message.split("\n")[0] ?? "").replace(
      /\. To specify a positional argument.*$/,
      "",
    );
    const unknown = /^Unknown option '(-[^']*)'/.exec(first)?.[1];
    if (unknown !== undefined) {
      const names = [...Object.keys(options).map((name) => `--${name}`), "--help"];
      const flag = unknown.split("=")[0] as string;
      const longOptions = longOptionsFor(flag, names);
      const closest = suggest(flag, names);
      const hints = longOptions.length > 0 ? longOptions : closest === null ? [] : [closest];
      const hint = hints.map((name) => `'${name}'`).join(" or ");
      throw usageError(
        `unknown option '${unknown}' for ${command}${hint ? `: did you mean ${hint}?` : ""}\n` +
          `Run 'hookgate ${command} --help' for usage.`,
      );
    }
    throw usageError(`${ourWords(first)}\nRun 'hookgate ${command} --help' for usage.`);
  }
}

/**
 * node's wording for a flag without its value ("Option '-p, --port <value>' argument
 * missing", "Option '--port' argument is ambiguous", when the next word is a flag) in the
 * words of hookgate's other usage errors; anything else as node says it.
 */
function ourWords(message: string): string {
  const missing = /^Option '(?:-[^-], )?(--[^' ]+) <value>' argument missing$/.exec(message);
  const ambiguous = /^Option '(--[^' ]+)' argument is ambiguous\.$/.exec(message);
  const flag = missing?.[1] ?? ambiguous?.[1];
  if (flag !== undefined) {
    return `${flag} needs a value (${flag} VALUE; a value that starts with a dash: ${flag}=-VALUE)`;
  }
  const noValue = /^Option '(?:-[^-], )?(--[^' ]+)' does not take an argument$/.exec(message);
  if (noValue?.[1] !== undefined) return `${noValue[1]} takes no value: give it alone`;
  return message;
}

/** The single positional argument a command takes (`send URL`, `fetch URL`), else a usage error. */
export function onlyPositional(command: string, positionals: string[], what: string): string {
  if (positionals.length !== 1) {
    throw usageError(
      `${command} takes exactly one ${what}, got ${positionals.length}\n` +
        `Run 'hookgate ${command} --help' for usage.`,
    );
  }
  return positionals[0] as string;
}

/** A command that takes no positional arguments: any is a usage error naming it. */
export function noPositionals(command: string, positionals: string[]): void {
  if (positionals.length > 0) {
    throw usageError(`unexpected argument '${positionals[0]}'\nRun 'hookgate ${command} --help'.`);
  }
}

/**
 * An optional numeric flag: `fallback` when it is absent, else parsed (`parsePositiveInt`,
 * `parseDurationMs`) and at most `max`; a bad value is a usage error naming the flag.
 */
export function numberFlag(
  flag: string,
  raw: string | undefined,
  parse: NumberParser,
  limits: { fallback: number; max?: number; tooLarge?: string },
): number {
  const parsed = parseOptionalNumber(flag, raw, parse, limits);
  if (!parsed.ok) throw usageError(parsed.reason);
  return parsed.value;
}

/** Flags that each take a value (`--port 8000`), for a command's flag table. */
export function valueFlags<const Name extends string>(
  ...names: Name[]
): { readonly [N in Name]: { readonly type: "string" } } {
  return Object.fromEntries(names.map((name) => [name, { type: "string" }])) as {
    readonly [N in Name]: { readonly type: "string" };
  };
}
