import type { EpochSink } from '../../sinks/epoch-sink.js';
import type { MessageKeyFields } from './result-message.js';

/** The part of TransactionalKafkaSink a lane writes through. */
export interface LaneOwner {
  writeTo(topic: string, keyFields: MessageKeyFields, epoch: number, chunk: string): boolean;
  accepts(epoch: number): boolean;
  drained(): Promise<void>;
  readonly timedLines: boolean;
}

/**
 * A job's named Kafka sink under checkpoints: its results go to `topic`
 * inside the transactions of the run's transactional sink (the owner), so
 * they commit with the same checkpoint as every other topic's, atomically.
 * Backpressure and holding of later epochs are the owner's (one transaction,
 * one in-flight bound). Closing a lane closes nothing: the owner ends the
 * transaction and the producer.
 */
export class TransactionLane implements EpochSink {
  readonly name: string;
  lines = 0;

  constructor(readonly topic: string, private readonly owner: LaneOwner, private readonly keyFields: MessageKeyFields) {
    this.name = `kafka:${topic}`;
  }

  /** Into the open transaction (epoch 0 is never ahead of it), as the owner's write() does. */
  write(chunk: string, lines: number): boolean {
    return this.writeEpoch(0, chunk, lines);
  }

  writeEpoch(epoch: number, chunk: string, lines: number): boolean {
    this.lines += lines;
    return this.owner.writeTo(this.topic, this.keyFields, epoch, chunk);
  }

  accepts(epoch: number): boolean {
    return this.owner.accepts(epoch);
  }

  drained(): Promise<void> {
    return this.owner.drained();
  }

  /** The owner's encoding decides (a job's outputs as flatbuffers Records need their event time). */
  get timedLines(): boolean {
    return this.owner.timedLines;
  }

  async close(): Promise<void> {}
}
