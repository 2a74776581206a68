// --changelog: the rule of when a job may keep its state in a Kafka changelog
// topic (docs/SCALING.md), and the topic's name.
import { bad } from './flags.js';

/** `--changelog auto`: the topic is named after the consumer group, which is the job's identity in Kafka. */
export const CHANGELOG_AUTO = 'auto';

export function changelogTopicOf(group: string): string {
  return `${group}-changelog`;
}

/**
 * A changelog holds what a checkpoint holds, per Kafka input partition, and
 * is written in the transaction that commits the checkpoint's results and
 * offsets: so it needs a Kafka source, checkpoints and a transactional Kafka
 * sink. Resolves `out.changelog` to the topic's name (undefined: off).
 */
export function resolveChangelog(out: Record<string, unknown>, keyGroupsGiven: boolean): void {
  const given = out.changelog as string | undefined;
  if (given === undefined || given === 'off') {
    out.changelog = undefined;
    return;
  }
  const source = String(out.source);
  if (!source.startsWith('kafka:') || source.length === 'kafka:'.length) {
    bad('changelog', `keeps the state of each Kafka input partition: give --source kafka:TOPIC (the source is ${source})`);
  }
  if (out.checkpointDir === undefined) bad('changelog', 'is written with each checkpoint: give --checkpoint-dir (one per member: its snapshot files go there before the changelog)');
  if (out.replay !== undefined) bad('changelog', 'a replay is re-run, not resumed: leave out --changelog');
  if (out.restore !== undefined) bad('changelog', 'restores each partition from the changelog when it is assigned: leave out --restore');
  const sink = String(out.sink);
  if (!sink.startsWith('kafka:') || out.sinkTransactional === 'false') {
    bad('changelog', `commits in the transaction of a transactional Kafka sink: give --sink kafka:TOPIC (the sink is ${sink}${out.sinkTransactional === 'false' ? ', with --sink-transactional false' : ''})`);
  }
  if (given.trim() === '' || /[^A-Za-z0-9._-]/.test(given)) {
    bad('changelog', `"${given}" is not a topic name (letters, digits, . _ -), or auto for ${changelogTopicOf(String(out.group))}`);
  }
  out.changelog = given === CHANGELOG_AUTO ? changelogTopicOf(String(out.group)) : given;
  alignKeyGroups(out, keyGroupsGiven);
}

/**
 * Each partition's state is one Kafka partition's (the engine checks at start
 * that --partitions is the topic's partition count). Kafka puts a key in
 * partition murmur2(key) % P and Sabre in key group murmur2(key) % K, which
 * lies in partition (murmur2(key) % K) % P: the same partition exactly when
 * P divides K. So the default 128 key groups are rounded up to a multiple.
 */
function alignKeyGroups(out: Record<string, unknown>, given: boolean): void {
  const p = out.partitions as number;
  const k = out.keyGroups as number;
  if (k % p === 0) return;
  if (given) {
    bad('keyGroups', `(${k}) must be a multiple of --partitions (${p}) with --changelog, so that a key's key group lies in its `
      + `Kafka partition; give ${p * Math.ceil(k / p)} or leave it out`);
  }
  out.keyGroups = p * Math.ceil(k / p);
}
