/**
 * What the kernel says a server process cost: CPU time (user + system, of the
 * process and of the children it reaped) and peak RSS, from /proc. CPU time per
 * request does not depend on how fast the load generator is, which req/s does.
 */

/** Clock ticks per second of /proc/<pid>/stat's time fields (`getconf CLK_TCK`, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** Which of /proc/<pid>/stat's CPU times to sum. */
type Counted = "all" | "own" | "reaped";

/**
 * utime + stime + cutime + cstime of `pid`, in microseconds: `own` leaves out the reaped
 * children's cutime + cstime, `reaped` counts only those (one read, so the two parts cannot
 * drift apart between reads); 0 when it cannot be read.
 */
export function cpuMicros(pid: number, counted: Counted = "all"): number {
  try {
    return statCpu(`/proc/${pid}/stat`, counted).us;
  } catch {
    return 0;
  }
}

/** What a thread (or the threads of one name) spent on a CPU and waiting for one. */
export interface ThreadTimes {
  cpuUs: number;
  /** Runnable but not running: how long the scheduler kept it waiting; null if not kept. */
  waitUs: number | null;
}

/**
 * CPU µs of every thread of `pid`, and µs spent waiting for a CPU, summed by thread name:
 * from /proc/<pid>/task/<tid>/schedstat (nanoseconds), or, where the kernel keeps no
 * schedstat (no file, or zeros), utime + stime from its stat file and no wait figure.
 */
export function threadTimes(pid: number): Map<string, ThreadTimes> {
  const byName = new Map<string, ThreadTimes>();
  for (const entry of Deno.readDirSync(`/proc/${pid}/task`)) {
    const dir = `/proc/${pid}/task/${entry.name}`;
    try {
      const { name, us } = statCpu(`${dir}/stat`, "own");
      const times = schedTimes(`${dir}/schedstat`) ?? { cpuUs: us, waitUs: null };
      const sum = byName.get(name);
      byName.set(
        name,
        sum === undefined ? times : {
          cpuUs: sum.cpuUs + times.cpuUs,
          waitUs: sum.waitUs === null || times.waitUs === null ? null : sum.waitUs + times.waitUs,
        },
      );
    } catch {
      // the thread ended meanwhile
    }
  }
  return byName;
}

/** A schedstat file's time on a CPU and time waiting for one, or null where it is not kept. */
function schedTimes(path: string): ThreadTimes | null {
  try {
    const [onCpuNs, waitNs] = Deno.readTextFileSync(path).trim().split(" ").map(Number);
    // Kernels without scheduler statistics may show the file with zeros in it.
    if (!onCpuNs) return null;
    return { cpuUs: onCpuNs / 1000, waitUs: (waitNs ?? 0) / 1000 };
  } catch {
    return null;
  }
}

/** The command name and CPU µs of a /proc stat file. */
function statCpu(path: string, counted: Counted): { name: string; us: number } {
  const stat = Deno.readTextFileSync(path);
  // The command name (field 2) may hold spaces and parentheses: count fields after its last ")".
  const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state); utime, stime, cutime, cstime are fields 14–17.
  const indexes = counted === "all" ? [11, 12, 13, 14] : counted === "own" ? [11, 12] : [13, 14];
  const ticks = indexes.reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
  return { name, us: ticks * (1_000_000 / TICKS_PER_SECOND) };
}

/** VmHWM (peak resident set) of `pid` in MB; 0 when it cannot be read. */
export function peakRssMb(pid: number): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    return match ? Math.round(Number(match[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}
