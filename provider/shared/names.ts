/**
 * Interface-name rules shared by every layer (the zod validator in schema/common.ts is built from these). This
 * module sits at the bottom of the provider: it imports nothing from provider/ (see
 * test/unit/import-direction.test.ts).
 */

/** The kernel's IFNAMSIZ: interface names are at most IFNAMSIZ - 1 bytes plus the terminating NUL. */
export const IFNAMSIZ = 16;

/** Longest Linux interface name: 15 bytes. */
export const IF_NAME_MAX = IFNAMSIZ - 1;

/** Letters, digits, '_', '.', '-'; must not start with '-' or '.' (so no '/', whitespace or ':'). */
export const IF_NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** Whether `s` is a valid Linux interface name (the same rule as schema/common.ts `ifName`). */
export function isIfName(s: unknown): s is string {
  return typeof s === "string" && s.length >= 1 && s.length <= IF_NAME_MAX && IF_NAME_PATTERN.test(s) && s !== "." && s !== "..";
}
