// tributary serve | fetch --once | check | prune --now | import-opml | inspect | migrate-store — see README "Command line". Reads the
// command line and hands it to the command's module; entry.ts runs it as a process.
//
// Each command's module is imported only when that command runs: importing them all loads the whole pipeline
// (cheerio, undici, sanitize-html, the store, the renderer…), which took most of a second before `check` could
// read a three-line file. `serve` itself imports the pipeline only once it listens (lifecycle.ts).
import { parseArgs } from 'node:util';
import { commonOptions } from './common-options.ts';
import { USAGE, usageError } from './usage.ts';

/** Runs one command line (without node and the script); resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // --version, --help and -h work before or after any command (everything after `--` is an argument, not an option).
  const options = argv.slice(0, argv.includes('--') ? argv.indexOf('--') : argv.length);
  if (options.includes('--version')) {
    process.stdout.write(`tributary ${await version()}\n`);
    return 0;
  }
  if (command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return 0;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options: {
        config: { type: 'string' },
        data: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        once: { type: 'boolean' },
        now: { type: 'boolean' },
        force: { type: 'boolean' },
        source: { type: 'string', multiple: true },
        discover: { type: 'string' },
        recover: { type: 'boolean' },
        purge: { type: 'boolean' },
        'shutdown-timeout': { type: 'string' },
        url: { type: 'string' },
        'content-type': { type: 'string' },
        timezone: { type: 'string' },
        rules: { type: 'boolean' },
        html: { type: 'string' },
        'full-text': { type: 'string' },
        select: { type: 'string' },
        remove: { type: 'string', multiple: true },
        'select-item': { type: 'string' },
        'select-title': { type: 'string' },
        'select-link': { type: 'string' },
        'select-summary': { type: 'string' },
        'select-date': { type: 'string' },
        'select-date-format': { type: 'string' },
        to: { type: 'string' },
        database: { type: 'string' },
        role: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    // node:util's message names the option ("Unknown option '--prot'"); its advice about `--` is for positionals.
    return usageError(`${(err as Error).message.replace(/\. To specify a positional argument.*$/s, '')}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  const common = commonOptions(values);
  if (values.help || !command) {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  switch (command) {
    case 'serve': {
      const grace = Number(values['shutdown-timeout'] ?? process.env.TRIBUTARY_SHUTDOWN_TIMEOUT ?? '10');
      if (!Number.isFinite(grace) || grace < 0) return usageError(`invalid --shutdown-timeout "${values['shutdown-timeout']}" (seconds)`);
      const { serve } = await import('./serve.ts');
      return serve(common, values.port ?? process.env.PORT ?? '8080', values.host ?? process.env.HOST ?? '127.0.0.1', grace * 1000,
        { database: values.database, role: values.role });
    }
    case 'fetch':
      if (!values.once) return usageError('tributary fetch needs --once (the scheduler runs under "tributary serve")');
      return (await import('./fetch-once.ts')).fetchOnce(common, values.force ?? false, (values.source ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean), values.database);
    case 'check':
      if (values.discover === undefined) return (await import('./check.ts')).check(common);
      return (await import('./discover.ts')).discover(common, values.discover);
    case 'prune':
      if (!values.now) return usageError('tributary prune needs --now (without it, the service applies a stricter retention by itself a day after the edit)');
      return (await import('./prune.ts')).pruneNow(common);
    case 'import-opml':
      if (positionals.length !== 1) return usageError(`tributary import-opml needs one OPML file\n${USAGE}`);
      return (await import('./import-opml-command.ts')).importOpmlCommand(positionals[0]!, common);
    case 'migrate-store':
      if (positionals.length > 0) return usageError(`tributary migrate-store takes no FILE: ${positionals.join(' ')}\n${USAGE}`);
      return (await import('./migrate-store.ts')).migrateStore(common, { to: values.to, database: values.database });
    case 'inspect':
      if (values['full-text'] !== undefined) {
        if (positionals.length > 0) return usageError(`tributary inspect --full-text takes one URL, given as --full-text URL: ${positionals.join(' ')}\n${USAGE}`);
        return (await import('./inspect-full-text.ts')).inspectFullText({ url: values['full-text'], select: values.select, remove: values.remove, config: common.config });
      }
      if (values.select !== undefined || values.remove !== undefined) return usageError(`tributary inspect: --select and --remove go with --full-text URL\n${USAGE}`);
      if (values.rules) {
        const [{ inspectRulesCommand }, { USER_AGENT }] = await Promise.all([import('./inspect-rules.ts'), import('../fetch/user-agent.ts')]);
        return inspectRulesCommand({ configFile: common.config, target: positionals[0], userAgent: USER_AGENT, ...(values.source?.[0] ? { sourceId: values.source[0] } : {}) });
      }
      if (values.source !== undefined) {
        if (values.source.length > 1) return usageError(`tributary inspect --source takes one source id\n${USAGE}`);
        if (values.html !== undefined || Object.keys(values).some((flag) => ['url', 'timezone'].includes(flag) || flag.startsWith('select-'))) {
          return usageError(`tributary inspect --source ID reads the document as that source is configured: --html, --select-…, --url and --timezone come from its config\n${USAGE}`);
        }
        return (await import('./inspect-source.ts')).inspectSourceCommand(common, values.source[0]!, positionals, values);
      }
      return (await import('./inspect-command.ts')).inspectCommand(positionals, values);
    default:
      return usageError(`unknown command "${command}"\n${USAGE}`);
  }
}

/** This package's version, from its package.json (two levels above both src/cli/ and dist/cli/). */
async function version(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  return (JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}
