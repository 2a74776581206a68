// A checkpointed Kafka job keeps its state in one process's checkpoints, so
// its consumer group must have one member. A running job whose partitions a
// second checkpointed process takes fails at once with ERR_KAFKA_GROUP_SHARED;
// without checkpoints two processes share the group's partitions and keep
// running (at-least-once, test/kafka/kafka-rebalance.test.ts).
import { expect, it } from 'vitest';
import { join } from 'node:path';
import { tmpDir } from '../helpers/engine-run.js';
import { completeCheckpoints, startSabre, waitFor, type Running } from '../helpers/sabre-process.js';
import { NO_IDLE, brokers, describeKafka, produceTrades, unique } from '../helpers/kafka-env.js';

const SPEC = { count: 20_000, keys: 50, seed: 5, disorder: 0, eventsPerMs: 5 };

function run(topic: string, group: string, extra: string[]): Running {
  return startSabre(['run', '--source', `kafka:${topic}`, '--brokers', brokers, '--group', group, '--window', 'tumbling:1s',
    '--idle-timeout', NO_IDLE, '--partitions', '2', '--workers', '1', '--sink', 'null', '--late-output', 'null',
    '--progress', '0', '--http-port', '0', ...extra]);
}

describeKafka('a checkpointed Kafka job is its group\'s only member', () => {
  it('a second checkpointed process in the group makes the running job fail with ERR_KAFKA_GROUP_SHARED; without checkpoints both run', async () => {
    const topic = unique('shared-in');
    await produceTrades(topic, SPEC);
    const dir = tmpDir();

    const group = unique('shared');
    const cpA = join(dir, 'a');
    const a = run(topic, group, ['--checkpoint-dir', cpA, '--checkpoint-interval', '300ms']);
    await waitFor('the first job to checkpoint', () => completeCheckpoints(cpA).length >= 2, a, 30_000);
    const b = run(topic, group, ['--checkpoint-dir', join(dir, 'b'), '--checkpoint-interval', '300ms']);
    const ea = await a.exit;
    expect(ea.code, ea.stderr).toBe(1);
    expect(ea.stderr).toMatch(/ERR_KAFKA_GROUP_SHARED: kafka:shared-in[^:]*: another member of consumer group "shared-[^"]+" took partition\(s\) \d/);
    // Its checkpoints are intact: the newest one is what a restart restores.
    expect(completeCheckpoints(cpA).length).toBeGreaterThanOrEqual(2);
    // The newcomer is the group's only member once the first job left: it goes on, like a job started without its checkpoints.
    expect(b.child.exitCode).toBe(null);
    b.child.kill('SIGTERM');
    expect((await b.exit).stderr).not.toMatch(/ERR_/);

    // Without checkpoints sharing a group is how partitions are spread: both keep running past the grace period.
    const plain = unique('shared-plain');
    const c = run(topic, plain, []);
    const d = run(topic, plain, []);
    await new Promise((r) => setTimeout(r, 15_000));
    expect([c.child.exitCode, d.child.exitCode]).toEqual([null, null]);
    c.child.kill('SIGTERM');
    d.child.kill('SIGTERM');
    for (const e of await Promise.all([c.exit, d.exit])) expect(e.stderr).not.toMatch(/ERR_/);
  }, 90_000);
});
