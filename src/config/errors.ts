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
