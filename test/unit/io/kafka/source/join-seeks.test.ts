// Where an assigned partition starts besides its committed offset: a restored checkpoint's
// position at every assignment (it wins), else --start-from's at the partition's first one.
import { describe, expect, it } from 'vitest';
import { JoinSeeks } from '../../../../../dist/src/io/kafka/source/join-seeks.js';
import type { KafkaPosition } from '../../../../../dist/src/io/kafka/source/offset-tracker.js';

const at = (partition: number, offset: string): KafkaPosition => ({ topic: 't', partition, offset });

function join(seeks: JoinSeeks, partitions: number[]): string[] {
  const done: string[] = [];
  seeks.onJoin({ t: partitions }, (p) => done.push(`${p.partition}@${p.offset}`));
  return done;
}

describe('JoinSeeks', () => {
  it('checkpoint positions at every assignment; --start-from positions once, for the partitions they name', () => {
    const seeks = new JoinSeeks([at(0, '10')], [at(1, '7'), at(2, '9')]);
    expect(join(seeks, [0, 1])).toEqual(['0@10', '1@7']);
    expect(join(seeks, [0, 1, 2])).toEqual(['0@10', '2@9']); // 1 was started already: its commits count now
    expect(join(seeks, [1, 2])).toEqual([]);
    expect(join(seeks, [0])).toEqual(['0@10']);
  });

  it('a checkpoint position wins over --start-from for the same partition', () => {
    const seeks = new JoinSeeks([at(3, '5')], [at(3, '99')]);
    expect(join(seeks, [3])).toEqual(['3@5']);
    expect(join(seeks, [3])).toEqual(['3@5']);
  });

  it('other topics of an assignment are not touched', () => {
    const seeks = new JoinSeeks([], [at(0, '4')]);
    const done: string[] = [];
    seeks.onJoin({ other: [0] }, (p) => done.push(`${p.topic}/${p.partition}`));
    expect(done).toEqual([]);
  });
});
