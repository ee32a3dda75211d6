// The store's schema version and the steps that carry an older file forward. A step takes the data of
// version N and returns version N+1; they run in order at open, and the file is written in the new version
// at the next commit (after a copy of the old file is kept, so an older release can still be restored).
import type { Item, SourceState } from '../model.ts';
import { StoreCorruptError, StoreVersionError } from './errors.ts';
import { storedItemsProblem } from './stored-items.ts';
import { plainStoredItems, plainStoredStates } from './stored-text.ts';

export const STORE_VERSION = 2;

/** data/store.json. Source states live in data/sources.json (see SourceStateData) since version 2. */
export interface StoreData {
  version: number;
  /** when this file was written; names its backup later */
  savedAt?: string;
  /** writes since the store was created, one per commit */
  generation: number;
  items: Item[];
}

/** data/sources.json: what is remembered about each source; small, written every cycle. */
export interface SourceStateData {
  version: number;
  sources: Record<string, SourceState>;
}

type Step = (data: Record<string, unknown>) => Record<string, unknown>;

const STEPS: Record<number, Step> = {
  /**
   * v1 (Tributary 0.1) had no write bookkeeping and kept the source states inside; v2 moves them to
   * sources.json, so a cycle of 304s rewrites no items. A v1 file was written at the end of the cycle that
   * last fetched, so the newest lastFetch is the best knowledge of when it was saved.
   */
  1: (v1) => {
    const states = Object.values((v1.sources ?? {}) as Record<string, SourceState>);
    const lastFetch = states.map((s) => s.lastFetch).filter((t): t is string => typeof t === 'string').sort().at(-1);
    return { ...v1, version: 2, generation: 0, ...(lastFetch ? { savedAt: lastFetch } : {}) };
  },
};

const READABLE = [...Object.keys(STEPS).map(Number), STORE_VERSION];

export interface MigratedStore {
  data: StoreData;
  /** the version the file had on disk */
  from: number;
  /** source states found inside a v1 file, to move to sources.json */
  legacySources?: Record<string, SourceState>;
}

/** Validates what was read from `file` and migrates it to STORE_VERSION; never guesses at unknown shapes. */
export async function migrateStore(raw: unknown, file: string): Promise<MigratedStore> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new StoreCorruptError(file, 'not a Tributary store: the top level is not an object');
  let data = raw as Record<string, unknown>;
  const from = data.version;
  if (typeof from !== 'number' || !Number.isInteger(from)) throw new StoreVersionError(file, from, READABLE);
  if (from > STORE_VERSION) throw new StoreVersionError(file, from, READABLE);
  for (let version = from; version < STORE_VERSION; version++) {
    const step = STEPS[version];
    if (!step) throw new StoreVersionError(file, from, READABLE);
    data = step(data);
  }
  const problem = await storeDataProblem(data);
  if (problem) throw new StoreCorruptError(file, `not a usable Tributary store: ${problem}`);
  const { sources, ...rest } = data as unknown as StoreData & { sources?: Record<string, SourceState> };
  const legacy = sources && typeof sources === 'object' && !Array.isArray(sources) ? sources : undefined;
  await plainStoredItems(rest.items);
  if (legacy) plainStoredStates(legacy);
  return { data: rest as StoreData, from, ...(legacy ? { legacySources: legacy } : {}) };
}

async function storeDataProblem(data: Record<string, unknown>): Promise<string | undefined> {
  if (!Array.isArray(data.items)) return 'the "items" list is missing';
  if (typeof data.generation !== 'number') return 'the "generation" number is missing';
  return storedItemsProblem(data.items);
}

/** Validates data/sources.json; an unreadable one is refused like a corrupt store (it is never overwritten). */
export function readSourceStates(raw: unknown, file: string): SourceStateData {
  const data = raw as SourceStateData;
  if (typeof data !== 'object' || data === null || typeof data.version !== 'number'
    || typeof data.sources !== 'object' || data.sources === null || Array.isArray(data.sources)) {
    throw new StoreCorruptError(file, 'not a Tributary source state file');
  }
  if (data.version > STORE_VERSION) throw new StoreVersionError(file, data.version, READABLE);
  plainStoredStates(data.sources);
  return { version: STORE_VERSION, sources: data.sources };
}
