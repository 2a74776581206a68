// A key's windows form a doubly linked list of slots (KeyTable.firstWindow,
// then I_NEXT; CI_PREV back). Taking a slot out of it and merging two session windows are
// off the per-record path (purges, session merges), so they live here, beside
// the operator rather than in it.
import type { KeyTable } from './key-table.js';
import {
  CI_PREV, CI_STRIDE, F_COUNT, F_MAX_INGEST, F_MAX, F_MIN, F_START, F_STRIDE, F_SUM, I_FLAGS, I_NEXT, I_STRIDE, S_DIRTY, S_FIRED, type WindowSlots,
} from './window-slots.js';
import type { UserAggregate } from './user-aggregate.js';

/** Link slot s in front of `head` (the key's first window, -1 = none); the caller makes s the key's first window. */
export function linkWindowFirst(slots: WindowSlots, s: number, head: number): void {
  slots.i[s * I_STRIDE + I_NEXT] = head;
  slots.coldI[s * CI_STRIDE + CI_PREV] = -1;
  if (head >= 0) slots.coldI[head * CI_STRIDE + CI_PREV] = s;
}

/** Unlink slot s from key keyId's list (it stays allocated). */
export function unlinkWindow(slots: WindowSlots, keys: KeyTable, s: number, keyId: number): void {
  const prev = slots.coldI[s * CI_STRIDE + CI_PREV]!;
  const next = slots.i[s * I_STRIDE + I_NEXT]!;
  if (prev < 0) keys.setFirstWindow(keyId, next);
  else slots.i[prev * I_STRIDE + I_NEXT] = next;
  if (next >= 0) slots.coldI[next * CI_STRIDE + CI_PREV] = prev;
}

/** Session merge: fold window b into a (aggregates, extent, fired/dirty flags), then unlink and free b. */
export function mergeWindowInto(slots: WindowSlots, keys: KeyTable, ua: UserAggregate | undefined,
  a: number, b: number, keyId: number): void {
  const f = slots.f;
  const fa = a * F_STRIDE;
  const fb = b * F_STRIDE;
  f[fa + F_COUNT]! += f[fb + F_COUNT]!;
  f[fa + F_SUM]! += f[fb + F_SUM]!;
  if (f[fb + F_MIN]! < f[fa + F_MIN]!) f[fa + F_MIN] = f[fb + F_MIN]!;
  if (f[fb + F_MAX]! > f[fa + F_MAX]!) f[fa + F_MAX] = f[fb + F_MAX]!;
  if (f[fb + F_MAX_INGEST]! > f[fa + F_MAX_INGEST]!) f[fa + F_MAX_INGEST] = f[fb + F_MAX_INGEST]!;
  if (slots.end(b) > slots.end(a)) slots.setEnd(a, slots.end(b));
  if (f[fb + F_START]! < f[fa + F_START]!) f[fa + F_START] = f[fb + F_START]!;
  slots.i[a * I_STRIDE + I_FLAGS]! |= slots.int(b, I_FLAGS) & (S_FIRED | S_DIRTY);
  if (ua) slots.user[a] = ua.merge(slots.user[a], slots.user[b]);
  unlinkWindow(slots, keys, b, keyId);
  slots.free(b);
}
