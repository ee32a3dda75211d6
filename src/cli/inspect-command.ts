// `tributary inspect FILE|URL` and `inspect --html FILE|URL --select-…`: checks the flags, runs inspectDocument
// (inspect-document.ts) and prints the items.
import { USER_AGENT } from '../fetch/user-agent.ts';
import { defaultConfig, loadConfig } from '../config/load.ts';
import type { Config } from '../config/types.ts';
import { SourceFetchError } from '../fetch/errors.ts';
import { feedTitleOf } from '../normalize/feed-title.ts';
import { FeedParseError, SourceParseError } from '../parse/errors.ts';
import { InspectError, inspectDocument } from './inspect-document.ts';
import { reportStartError } from './start-error.ts';
import { USAGE } from './usage.ts';

export interface InspectFlags {
  config?: string | undefined;
  html?: string | undefined;
  'select-item'?: string | undefined;
  'select-title'?: string | undefined;
  'select-link'?: string | undefined;
  'select-summary'?: string | undefined;
  'select-date'?: string | undefined;
  'select-date-format'?: string | undefined;
  url?: string | undefined;
  'content-type'?: string | undefined;
  timezone?: string | undefined;
}

/** Prints the items of one document as JSON lines on stdout; a summary or the error on stderr. */
export async function inspectCommand(positionals: string[], flags: InspectFlags): Promise<number> {
  const page = flags.html === undefined ? undefined : {
    item: flags['select-item'], title: flags['select-title'], link: flags['select-link'], summary: flags['select-summary'],
    date: flags['select-date'], dateFormat: flags['select-date-format'],
  };
  if (!page && Object.keys(flags).some((flag) => flag.startsWith('select-'))) {
    process.stderr.write(`tributary inspect: the --select-… options read a web page given as --html FILE|URL\n${USAGE}`);
    return 2;
  }
  if (page && (page.item === undefined || page.title === undefined)) {
    process.stderr.write(`tributary inspect --html needs --select-item and --select-title\n${USAGE}`);
    return 2;
  }
  if (positionals.length !== (page ? 0 : 1)) {
    process.stderr.write(`tributary inspect needs exactly one FILE or URL${page ? ', given as --html FILE|URL' : ''}\n${USAGE}`);
    return 2;
  }
  const target = page ? flags.html! : positionals[0]!;
  let config: Config;
  try {
    // Only an explicit --config: inspect is often run where no sources file exists.
    config = flags.config ? await loadConfig(flags.config) : defaultConfig();
  } catch (err) {
    return reportStartError(err);
  }
  try {
    const { feed, items, charsetGuess, keySwitch } = await inspectDocument({
      target, config, userAgent: config.fetch.userAgent ?? USER_AGENT,
      ...(flags.url !== undefined ? { url: flags.url } : {}),
      ...(flags['content-type'] !== undefined ? { contentType: flags['content-type'] } : {}),
      ...(flags.timezone !== undefined ? { timezone: flags.timezone } : {}),
      ...(page ? { select: { ...page, item: page.item!, title: page.title! } } : {}),
    });
    process.stdout.write(items.map((item) => `${JSON.stringify(item)}\n`).join(''));
    const kind = feed.format === 'html' ? 'html page' : `${feed.format} feed`;
    // The title as the feeds would show it: a source's markup or escape codes never reach the terminal.
    const title = feedTitleOf(feed);
    process.stderr.write(`${target}: ${kind}${title ? ` "${title}"` : ''}, ${items.length} items\n`);
    // The notes the service would log for this document, so the operator sees why items look as they do.
    if (charsetGuess) {
      process.stderr.write(`${target}: charset guessed as ${charsetGuess.label} (confidence ${charsetGuess.confidence}/100): the document names none and is not UTF-8; set "encoding: ${charsetGuess.label}" on the source if that is right\n`);
    }
    // What the service would record on the source as its warnings (a document cut off at its end, unknown zones).
    for (const warning of feed.warnings ?? []) process.stderr.write(`${target}: warning: ${warning}\n`);
    if (keySwitch) {
      const { mode, switchedFrom } = keySwitch;
      process.stderr.write(`${target}: dedupe key ${mode}, not ${switchedFrom.mode}: ${Math.round(switchedFrom.badShare * 100)}% of the items had a blank or repeated ${switchedFrom.mode}\n`);
    }
    return 0;
  } catch (err) {
    if (err instanceof SourceParseError || err instanceof SourceFetchError) {
      // The pseudo-source "inspect" means nothing to the operator; the target does.
      const message = err instanceof SourceParseError ? (err.cause as Error).message : err.message.replace(/^source \S+ \(([^)]*)\): /, '');
      process.stderr.write(`tributary inspect: ${target}: ${message}\n`);
      return 1;
    }
    if (err instanceof InspectError || err instanceof FeedParseError) {
      process.stderr.write(`tributary inspect: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
