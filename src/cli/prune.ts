// `tributary prune --now`: applies at once the stricter retention a config edit asked for, which the service
// applies by itself only a day after the edit (store/retention-changes.ts); for an operator who means the edit.
// Prints what it dropped per source. Refuses while a `serve` holds the data directory (store/writer-lock.ts): the
// service would write its own copy of the items over the pruned file.
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/types.ts';
import { StoreWriteError } from '../store/errors.ts';
import { describeRule, settleRetention } from '../store/retention-changes.ts';
import { ItemStore } from '../store/store.ts';
import { lockDataDir, type WriterLock } from '../store/writer-lock.ts';
import type { CommonOptions } from './common-options.ts';
import { reportStartError } from './start-error.ts';

export async function pruneNow(common: CommonOptions, now = new Date()): Promise<number> {
  let config: Config;
  let lock: WriterLock;
  try {
    config = await loadConfig(common.config);
    lock = await lockDataDir(common.data, 'prune');
  } catch (err) {
    return reportStartError(err);
  }
  try {
    const store = await ItemStore.open(common.data, { backups: config.store.backups, now: () => now });
    const before = store.countsBySource();
    const { policy, applied } = settleRetention(store, config, common.purge, now, { immediately: true });
    store.prune(policy, now);
    await store.commit();
    const after = store.countsBySource();
    const changed = new Map(applied.map((c) => [c.sourceId, c]));
    let dropped = 0;
    for (const [id, count] of [...before].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const gone = count - (after.get(id) ?? 0);
      const change = changed.get(id);
      if (gone === 0 && !change) continue;
      dropped += gone;
      const rule = change ? `${describeRule(change.to)}, was ${describeRule(change.from)}` : describeRule(policy(id));
      process.stdout.write(`${id}: dropped ${gone} of ${count} items (${rule})\n`);
    }
    const sources = [...before].filter(([id, count]) => count !== (after.get(id) ?? 0)).length;
    process.stdout.write(`dropped ${dropped} item${dropped === 1 ? '' : 's'} of ${sources} source${sources === 1 ? '' : 's'}; ${store.size} stored\n`);
    return 0;
  } catch (err) {
    if (err instanceof StoreWriteError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    return reportStartError(err);
  } finally {
    lock.release();
  }
}
