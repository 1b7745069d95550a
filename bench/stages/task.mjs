// The task raw tinypool pools run for the comparators: spin the CPU for `ms` ms (0: a no-op).
export default function spinFor(ms = 0) {
  if (!(ms > 0)) return;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // busy: this is the work
  }
}
