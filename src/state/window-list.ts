// A key's windows form a singly linked list of slots (KeyTable.firstWindow,
// then I_NEXT). Taking a slot out of it and merging two session windows are
// off the per-record path (purges, session merges), so they live here, beside
// the operator rather than in it.
import type { KeyTable } from './key-table.js';
import { F_COUNT, F_MAX_INGEST, F_MAX, F_MIN, F_START, F_STRIDE, F_SUM, I_FLAGS, I_NEXT, I_STRIDE, S_DIRTY, S_FIRED, type WindowSlots } from './window-slots.js';
import type { UserAggregate } from './user-aggregate.js';

/** Unlink slot s from key keyId's list (it stays allocated). */
export function unlinkWindow(slots: WindowSlots, keys: KeyTable, s: number, keyId: number): void {
  let prev = -1;
  for (let x = keys.firstWindow(keyId); x >= 0; prev = x, x = slots.int(x, I_NEXT)) {
    if (x !== s) continue;
    if (prev < 0) keys.setFirstWindow(keyId, slots.int(x, I_NEXT));
    else slots.i[prev * I_STRIDE + I_NEXT] = slots.int(x, I_NEXT);
    return;
  }
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
