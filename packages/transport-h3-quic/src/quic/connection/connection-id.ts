/**
 * Connection ID comparison, shared by the parts that route packets by connection ID.
 *
 * @packageDocumentation
 */

/**
 * Whether two connection IDs are the same bytes.
 *
 * @internal
 */
export function sameConnectionId(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
