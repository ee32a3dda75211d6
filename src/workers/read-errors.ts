// The one error a read worker cannot report itself: the pool stopped it, because the document it read took too
// long or too much memory. Nothing a real feed comes near; a hostile or broken source meets it.

/** A source's document passed a read worker's time or memory limit; the worker was replaced, the document dropped. */
export class ReadLimitError extends Error {
  readonly sourceId: string;
  readonly url: string;
  readonly limit: 'time' | 'memory';
  /** ms for time, MB for memory */
  readonly max: number;
  constructor(sourceId: string, url: string, limit: ReadLimitError['limit'], max: number) {
    const what = limit === 'time'
      ? `parse took longer than ${formatLimit(limit, max)}`
      : `parse ran out of its ${max} MB memory`;
    super(`source ${sourceId} (${url}): ${what}; the document was dropped and its read worker replaced`);
    this.name = 'ReadLimitError';
    this.sourceId = sourceId;
    this.url = url;
    this.limit = limit;
    this.max = max;
  }

  /** the limit as the message says it: "10 s", "250 ms", "256 MB" */
  get maxText(): string {
    return formatLimit(this.limit, this.max);
  }
}

function formatLimit(limit: ReadLimitError['limit'], max: number): string {
  if (limit === 'memory') return `${max} MB`;
  return max % 1000 === 0 ? `${max / 1000} s` : `${max} ms`;
}
