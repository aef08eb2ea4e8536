/**
 * What the kernel says a server process cost: CPU time (user + system, of the
 * process and of the children it reaped) and peak RSS, from /proc. CPU time per
 * request does not depend on how fast the load generator is, which req/s does.
 */

/** Clock ticks per second of /proc/<pid>/stat's time fields (`getconf CLK_TCK`, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * utime + stime + cutime + cstime of `pid`, in microseconds (without the reaped children's
 * cutime + cstime when `children` is false); 0 when it cannot be read.
 */
export function cpuMicros(pid: number, options: { children?: boolean } = {}): number {
  try {
    return statCpu(`/proc/${pid}/stat`, options.children !== false).us;
  } catch {
    return 0;
  }
}

/** What a thread (or the threads of one name) spent on a CPU and waiting for one. */
export interface ThreadTimes {
  cpuUs: number;
  /** Runnable but not running: the time the scheduler kept it waiting for a CPU. */
  waitUs: number;
}

/**
 * CPU µs of every thread of `pid`, and µs spent waiting for a CPU, summed by thread name:
 * from /proc/<pid>/task/<tid>/schedstat (nanoseconds), or, where the kernel keeps no
 * schedstat, utime + stime from its stat file with no wait figure.
 */
export function threadTimes(pid: number): Map<string, ThreadTimes> {
  const byName = new Map<string, ThreadTimes>();
  for (const entry of Deno.readDirSync(`/proc/${pid}/task`)) {
    const dir = `/proc/${pid}/task/${entry.name}`;
    try {
      const { name, us } = statCpu(`${dir}/stat`, false);
      let times: ThreadTimes = { cpuUs: us, waitUs: 0 };
      try {
        const [onCpuNs, waitNs] = Deno.readTextFileSync(`${dir}/schedstat`).trim().split(" ")
          .map(Number);
        times = { cpuUs: (onCpuNs ?? 0) / 1000, waitUs: (waitNs ?? 0) / 1000 };
      } catch {
        // no schedstat on this kernel: stat's ticks, no wait
      }
      const sum = byName.get(name) ?? { cpuUs: 0, waitUs: 0 };
      byName.set(name, { cpuUs: sum.cpuUs + times.cpuUs, waitUs: sum.waitUs + times.waitUs });
    } catch {
      // the thread ended meanwhile
    }
  }
  return byName;
}

/** The command name and CPU µs of a /proc stat file, with reaped children's or without. */
function statCpu(path: string, children: boolean): { name: string; us: number } {
  const stat = Deno.readTextFileSync(path);
  // The command name (field 2) may hold spaces and parentheses: count fields after its last ")".
  const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state); utime, stime, cutime, cstime are fields 14–17.
  const counted = children ? [11, 12, 13, 14] : [11, 12];
  const ticks = counted.reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
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
