/** Exponential backoff with jitter for reconnect attempts: 0.5 s, 1 s, 2 s, … capped. */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number, random: () => number = Math.random): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt));
  return Math.round(base * (0.75 + random() * 0.25));
}
