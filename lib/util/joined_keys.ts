/**
 * Short keys joined from two parts and a fixed prefix (`401 bad signature`, `request 401 bad
 * signature`), made once per pair and then looked up: joining them per request makes a new
 * string each time, which a map lookup must then flatten and hash, on every refused request
 * of a flood. The parts come from small fixed
 * sets (statuses, reasons); past `limit` pairs a key is joined afresh each time.
 */
export function keyJoiner(
  prefix = "",
  limit = 256,
): (first: string | number, second: string) => string {
  const joined = new Map<string | number, Map<string, string>>();
  let size = 0;
  return (first, second) => {
    let byFirst = joined.get(first);
    let key = byFirst?.get(second);
    if (key !== undefined) return key;
    key = `${prefix}${first} ${second}`;
    if (size < limit) {
      if (byFirst === undefined) {
        byFirst = new Map();
        joined.set(first, byFirst);
      }
      byFirst.set(second, key);
      size++;
    }
    return key;
  };
}
