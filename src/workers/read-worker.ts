// Entry of a read worker (workers/read-pool.ts): parses and normalizes one document at a time, or extracts the
// article of one item page (fullText), off the serving thread. It holds no state between documents, so the pool may terminate it mid-document (time or memory limit)
// and start another.
import { parentPort } from 'node:worker_threads';
import { TRACKING_PARAMS, trackingParams, type TrackingParams } from '../normalize/urls.ts';
import { readDocument } from '../read-document.ts';
import { cpuClockOf, ownThreadId } from './thread-time.ts';
import { crossError, ITEMS_PER_MESSAGE, type ExtractRequest, type ReadReply, type ReadRequest, type WorkerRequest } from './read-task.ts';

const port = parentPort;
if (!port) throw new Error('read-worker.ts runs as a worker thread (workers/read-pool.ts starts it)');
function reply(message: ReadReply): void {
  port!.postMessage(message);
}

/** The matcher of the last list seen: the config's list is the same for every document of a cycle. */
let matcher: { names: string; match: TrackingParams } | undefined;
function trackingMatcher(names: readonly string[] | undefined): TrackingParams {
  if (!names) return TRACKING_PARAMS;
  const key = names.join('\n');
  if (matcher?.names !== key) matcher = { names: key, match: trackingParams(names) };
  return matcher.match;
}

// The parser's time budget counts this thread's CPU time: at its low priority, on a busy machine, wall time would
// count the time other processes ran (thread-time.ts). Wall time where threads' times cannot be read. The pool's
// time limit counts the same thread's CPU time, by the id told in "ready".
const tid = ownThreadId();
const limits = tid === undefined ? undefined : { cpuClock: cpuClockOf(tid) };

port.on('message', (request: WorkerRequest) => void (request.type === 'extract' ? extract(request) : read(request)));

async function read(request: ReadRequest): Promise<void> {
  try {
    const { text, select } = request;
    const ctx = { ...request.ctx, trackingParams: trackingMatcher(request.trackingParams) };
    const { feed, items } = select ? (await import('../read-page.ts')).readPage(text, select, ctx) : await readDocument(text, ctx, limits);
    for (let i = 0; i < items.length; i += ITEMS_PER_MESSAGE) reply({ type: 'items', items: items.slice(i, i + ITEMS_PER_MESSAGE) });
    // The raw items were the normalizer's input; the caller reads only the feed's own fields.
    reply({ type: 'done', feed: { ...feed, items: [] } });
  } catch (err) {
    reply({ type: 'failed', error: crossError(err) });
  }
}

// linkedom, Readability and cheerio load with the first page a worker extracts, as cheerio does with the first list
// of a `type: html` source it reads (read above): a service whose sources have neither never loads them, on any
// thread. Loading cheerio was about a third of a read worker's start (0.3 of ~0.9 CPU-s), paid by every serve and
// fetch --once.
async function extract(request: ExtractRequest): Promise<void> {
  try {
    const { extractArticle } = await import('../fulltext/extract.ts');
    reply({ type: 'extracted', extraction: await extractArticle(request.text, request.pageUrl, request.rule) });
  } catch (err) {
    reply({ type: 'failed', error: crossError(err) });
  }
}
reply({ type: 'ready', ...(tid === undefined ? {} : { tid }) });
