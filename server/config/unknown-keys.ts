import { closest, distance } from 'fastest-levenshtein';
import type { Problems } from './problems.js';

/** Reports every key of `body` not in `allowed`, suggesting the nearest allowed key when it is close. */
export function reportUnknownKeys(
  body: Record<string, unknown>,
  allowed: readonly string[],
  pathPrefix: string,
  problems: Problems,
): void {
  for (const key of Object.keys(body)) {
    if (allowed.includes(key)) continue;
    const suggestion = closest(key, allowed as string[]);
    const close = distance(key, suggestion) <= Math.max(1, Math.floor(suggestion.length / 3));
    problems.add(
      pathPrefix ? `${pathPrefix}.${key}` : key,
      `unknown key '${key}'${close ? `; did you mean '${suggestion}'?` : ''} (allowed keys: ${allowed.join(', ')})`,
    );
  }
}
