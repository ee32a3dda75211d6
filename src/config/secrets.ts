// ${NAME} in a source's headers: and auth: reads the environment, so a cookie or a password need not be written
// into a file that is committed or shared. Only those fields are expanded: a "$" in a title or a URL stays text.
import type { ConfigProblem } from './errors.ts';
import type { ParsedYamlFile } from './yaml-file.ts';

export type Environment = Readonly<Record<string, string | undefined>>;

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Replaces ${NAME} in every source's headers and auth values of these files, in place; a variable that is not set,
 * or whose value would break a header, is a problem at the line of the field.
 */
export function expandSecrets(parsed: readonly ParsedYamlFile[], env: Environment, problems: ConfigProblem[]): void {
  for (const file of parsed) {
    file.data?.sources.forEach((source, i) => {
      const expand = (value: string, path: (string | number)[], isHeader: boolean): string => {
        const missing: string[] = [];
        const out = value.replace(REFERENCE, (_all, name: string) => {
          const found = env[name];
          if (found === undefined) missing.push(name);
          return found ?? '';
        });
        const at = { file: file.file, line: file.lineAt(path), key: path.join('.') };
        for (const name of new Set(missing)) problems.push({ ...at, message: `the environment variable ${name} is not set` });
        // The value itself is never quoted: it is a secret.
        if (missing.length === 0 && out !== value && /[\r\n\0]/.test(out)) problems.push({ ...at, message: 'the value from the environment holds a line break or NUL' });
        if (missing.length === 0 && !isHeader && path.at(-1) === 'username' && out.includes(':')) problems.push({ ...at, message: 'the user name from the environment holds ":"' });
        return out;
      };
      if (source.headers) {
        for (const name of Object.keys(source.headers)) source.headers[name] = expand(source.headers[name]!, ['sources', i, 'headers', name], true);
      }
      if (source.auth) {
        source.auth = {
          username: expand(source.auth.username, ['sources', i, 'auth', 'username'], false),
          password: expand(source.auth.password, ['sources', i, 'auth', 'password'], false),
        };
      }
    });
  }
}
