import { UNKNOWN } from "./base";

/**
 * Whether a value holds a preview unknown anywhere. Iterative (an explicit stack), so an input nested
 * 20,000 levels deep cannot overflow the call stack here; checkInputs refuses such inputs first anyway.
 */
export function containsUnknown(v: unknown): boolean {
  const stack: unknown[] = [v];
  while (stack.length) {
    const x = stack.pop();
    if (x === UNKNOWN) return true;
    // A loop, not push(...values): spreading a huge array would overflow the stack too.
    if (x && typeof x === "object") for (const c of Array.isArray(x) ? x : Object.values(x)) stack.push(c);
  }
  return false;
}

/** No input of any kind nests deeper than this; a deeper one is a mistake (or an attack on the stack). */
export const MAX_INPUT_DEPTH = 32;

/** How deep `v` nests, counted iteratively and only up to `limit + 1` (so a huge nesting costs little). */
export function nestingDepth(v: unknown, limit = MAX_INPUT_DEPTH): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[v, 0]];
  while (stack.length) {
    const [x, d] = stack.pop()!;
    if (d > deepest) deepest = d;
    if (deepest > limit) return deepest;
    if (x && typeof x === "object") for (const c of Array.isArray(x) ? x : Object.values(x)) stack.push([c, d + 1]);
  }
  return deepest;
}
