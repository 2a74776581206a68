// A described group member's assignment bytes (kafkajs's MemberAssignment encoding) → the partitions of the
// job's topic it holds.
import { describe, expect, it } from 'vitest';
import { AssignerProtocol } from '../../../../../dist/src/io/kafka/kafka-client.js';
import { assignedPartitions } from '../../../../../dist/src/io/kafka/source/group-view.js';

describe('assignedPartitions', () => {
  it('decodes the partitions of the topic, ascending, and ignores other topics', () => {
    const bytes = AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: { orders: [5, 0, 3], other: [1, 2] }, userData: Buffer.alloc(0) });
    expect(assignedPartitions(bytes, 'orders')).toEqual([0, 3, 5]);
    expect(assignedPartitions(bytes, 'other')).toEqual([1, 2]);
    expect(assignedPartitions(bytes, 'missing')).toEqual([]);
  });

  it('a member with no assignment yet (a rebalance under way: empty bytes) holds nothing', () => {
    expect(assignedPartitions(Buffer.alloc(0), 'orders')).toEqual([]);
  });
});
