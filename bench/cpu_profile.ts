/**
 * Reading a V8 CPU profile (`--cpu-prof`) for `deno task bench:profile`: where the
 * JavaScript thread's time went by step (the innermost hookgate module on each sample's
 * stack), by function, and in long stretches of one stack; and the part of a profile
 * that falls in a time window, so a warm-up can be left out.
 */

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
export interface CpuProfile {
  /** Microseconds on V8's monotonic clock. */
  startTime: number;
  endTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The step a stack belongs to: its innermost hookgate module, else what ran. */
export function stepOf(stack: ProfileNode[]): string {
  for (const node of stack) {
    // A folder's sub-folders (lib/store/kv/) belong to it.
    const match = /\/lib\/([a-z_]+)\/(?:[a-z_]+\/)*([a-z_]+)\.ts/.exec(node.callFrame.url);
    // util/ holds unrelated helpers: name the file (hmac.ts is the HMAC verify).
    if (match) return match[1] === "util" ? `lib/util/${match[2]}.ts` : `lib/${match[1]}`;
  }
  const leaf = stack[0]?.callFrame;
  if (!leaf) return "(unknown)";
  if (leaf.functionName === "(garbage collector)") return "(garbage collector)";
  if (leaf.functionName === "(idle)") return "(idle)";
  if (leaf.functionName === "(program)") return "(native: V8 and the runtime)";
  if (/http|serve/i.test(leaf.url)) return "Deno.serve (HTTP glue)";
  return "runtime (other)";
}

export function byStep(profile: CpuProfile): Map<string, number> {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const steps = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const stack: ProfileNode[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const node = nodes.get(at);
      if (node) stack.push(node);
    }
    const step = stepOf(stack);
    steps.set(step, (steps.get(step) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  return steps;
}

/** A function's name and file, as the tables print it. */
function frameName(frame: ProfileNode["callFrame"]): string {
  const file = frame.url.slice(frame.url.lastIndexOf("/") + 1) || "native";
  return `${frame.functionName || "(anonymous)"} (${file})`;
}

/**
 * Stretches of at least `minMs` in which every sample saw the same stack (idle aside), named
 * by its innermost frame, the longest first: a frame that takes µs held for milliseconds
 * means the thread was off its CPU (or V8 collected garbage) meanwhile, and every request in
 * flight waited that long.
 */
export function longStretches(profile: CpuProfile, minMs: number): { ms: number; frame: string }[] {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const stretches: { ms: number; frame: string }[] = [];
  let startUs = 0;
  let nowUs = 0;
  let current: number | undefined;
  const close = () => {
    const frame = current === undefined ? undefined : nodes.get(current)?.callFrame;
    const ms = (nowUs - startUs) / 1000;
    if (frame && frame.functionName !== "(idle)" && ms >= minMs) {
      stretches.push({ ms, frame: frameName(frame) });
    }
  };
  profile.samples.forEach((id, i) => {
    nowUs += profile.timeDeltas[i] ?? 0;
    if (id === current) return;
    close();
    current = id;
    startUs = nowUs;
  });
  close();
  return stretches.sort((a, b) => b.ms - a.ms);
}

/** Self time by function (name and file), the heaviest first: what the steps above are made of. */
export function bySelf(profile: CpuProfile): [string, number][] {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const frame = nodes.get(id)?.callFrame;
    if (!frame || frame.functionName === "(idle)") return;
    const name = frameName(frame);
    self.set(name, (self.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  return [...self].sort((a, b) => b[1] - a[1]);
}

/**
 * The samples taken between `fromUs` and `toUs` after the profile's start, each with the
 * time it stands for: what a server did in its measured window, without its start-up and
 * warm-up.
 */
export function windowed(profile: CpuProfile, fromUs: number, toUs: number): CpuProfile {
  const samples: number[] = [];
  const timeDeltas: number[] = [];
  let atUs = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    atUs += delta;
    if (atUs < fromUs || atUs > toUs) return;
    samples.push(id);
    timeDeltas.push(delta);
  });
  return {
    ...profile,
    startTime: profile.startTime + fromUs,
    endTime: profile.startTime + Math.min(toUs, atUs),
    samples,
    timeDeltas,
  };
}
