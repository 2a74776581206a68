// A /ws/ingest client that keeps to its credit: it sends a frame only when
// the credit it was granted (open message + acks) covers the frame's records.
import type { WsClient } from './ws-client.js';

export interface Frame {
  data: string | Uint8Array;
  records: number;
}

export interface SendReport {
  acks: any[];
  /** Largest number of records sent but not yet acknowledged. */
  maxInFlight: number;
  /** Times the client had to stop and wait for credit. */
  creditWaits: number;
}

export async function sendWithinCredit(c: WsClient, frames: Frame[]): Promise<SendReport> {
  const first = await c.next((m) => m.type === 'credit');
  let credit: number = first.credit;
  let seen = c.messages.indexOf(first) + 1;
  let inFlight = 0;
  let maxInFlight = 0;
  let creditWaits = 0;
  const acks: any[] = [];
  const take = (m: any): void => {
    acks.push(m);
    credit += m.credit;
    inFlight -= m.accepted + m.rejected;
  };
  for (const f of frames) {
    while (credit < Math.max(1, f.records)) {
      creditWaits++;
      const m = await c.next((x) => x.type === 'ack', seen);
      seen = c.messages.indexOf(m) + 1;
      take(m);
    }
    credit -= Math.max(1, f.records);
    inFlight += f.records;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await c.send(f.data);
  }
  while (acks.length < frames.length) {
    const m = await c.next((x) => x.type === 'ack', seen);
    seen = c.messages.indexOf(m) + 1;
    take(m);
  }
  return { acks, maxInFlight, creditWaits };
}
