export interface ConfigProblem {
  file: string;
  line: number;
  /** dotted path of the key, e.g. sources.2.url */
  key: string;
  message: string;
}

/** A config that cannot be used; each problem names file, line and key. */
export class ConfigError extends Error {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.file}:${p.line}: ${p.key ? `${p.key}: ` : ''}${p.message}`;
}

/** A command's `--source ID` names no configured source; the message lists the configured ones. */
export class UnknownSourceError extends Error {
  readonly sourceId: string;
  constructor(sourceId: string, config: { files: readonly string[]; sources: readonly { id: string }[] }) {
    const ids = config.sources.map((s) => s.id);
    super(`no source has the id "${sourceId}" in ${config.files.join(', ')}${ids.length > 0 ? ` (sources: ${ids.slice(0, 20).join(', ')}${ids.length > 20 ? ', …' : ''})` : ''}`);
    this.name = 'UnknownSourceError';
    this.sourceId = sourceId;
  }
}
