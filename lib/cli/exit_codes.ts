/** Process exit codes (sysexits.h), shared by every command. Only `main.ts` sets them. */
export const ExitCode = {
  ok: 0,
  /** The operation ran and failed (for example a non-2xx answer). */
  failed: 1,
  usage: 64,
  dataError: 65,
  unavailable: 69,
  software: 70,
  denied: 77,
  config: 78,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
