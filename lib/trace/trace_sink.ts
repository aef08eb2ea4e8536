/**
 * Where structured trace records go. The JSONL file writer (lib/trace/trace.ts) is the
 * only real implementation; it redacts every record before it is written.
 */
export interface TraceSink {
  /** Buffered append; never blocks a response path for longer than that. */
  /** A record object; the sink copies what it needs, so the caller may pass its own. */
  write(record: object): void;
  close(): Promise<void>;
}

/** A sink that drops everything (tests, and commands run without a trace). */
export const NULL_TRACE: TraceSink = {
  write() {},
  close: () => Promise.resolve(),
};
