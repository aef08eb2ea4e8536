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
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[0] is field 3 (state); utime, stime, cutime, cstime are fields 14–17.
    const counted = options.children === false ? [11, 12] : [11, 12, 13, 14];
    const ticks = counted.reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
    return ticks * (1_000_000 / TICKS_PER_SECOND);
  } catch {
    return 0;
  }
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
