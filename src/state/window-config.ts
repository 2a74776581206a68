import type { UserAggregate } from './user-aggregate.js';
import type { WindowSpec } from '../time/window-spec.js';
import type { KeyTable } from './key-table.js';

/** What a WindowOperator computes (src/state/window-operator.ts). */
export interface OperatorConfig {
  window: WindowSpec;
  outOfOrderness: number;
  allowedLateness: number;
  /** Global partition ids this operator serves; records name them by local index. */
  partitions: number[];
  userAggregate?: UserAggregate | undefined;
  /**
   * Track what early firings need (updated-since-firing flag, newest ingest
   * time per window). Off by default: two stores per record nobody reads.
   */
  earlyFiring?: boolean;
  /**
   * false: watermarks come only from WATERMARK/END frames (a source with
   * several inputs sends the minimum over them; DESIGN.md §4); record
   * timestamps still update maxTs. Default true: maxTs − bound.
   */
  watermarkFromRecords?: boolean;
  /** The key table, when the operator shares it with other keyed stages of a job (KeyTable.sharedByStages); default its own. */
  keys?: KeyTable | undefined;
}
