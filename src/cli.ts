#!/usr/bin/env node
// tributary serve | fetch --once | check | inspect — see README "Command line".
import { parseArgs } from 'node:util';
import { App, USER_AGENT } from './app.ts';
import { loadConfig } from './config/load.ts';
import { ConfigError } from './config/errors.ts';
import { createLogger } from './log.ts';
import { inspectRulesCommand } from './inspect-rules.ts';

const USAGE = `usage:
  tributary serve [--config FILE] [--data DIR] [--port N] [--host H]
  tributary fetch --once [--config FILE] [--data DIR]
  tributary check [--config FILE]
  tributary inspect --rules FILE|URL [--config FILE] [--source ID]
`;

interface Common {
  config: string;
  data: string;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      config: { type: 'string' },
      data: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      once: { type: 'boolean' },
      rules: { type: 'boolean' },
      source: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  const common: Common = {
    config: values.config ?? process.env.TRIBUTARY_CONFIG ?? 'feeds/sources.yaml',
    data: values.data ?? process.env.TRIBUTARY_DATA ?? 'data',
  };
  if (values.help || !command) {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  switch (command) {
    case 'serve':
      return serve(common, values.port ?? process.env.PORT ?? '8080', values.host ?? process.env.HOST ?? '127.0.0.1');
    case 'fetch':
      if (!values.once) {
        process.stderr.write('tributary fetch needs --once (the scheduler runs under "tributary serve")\n');
        return 2;
      }
      return fetchOnce(common);
    case 'check':
      return check(common);
    case 'inspect':
      if (values.rules) {
        return inspectRulesCommand({ configFile: common.config, target: positionals[0], userAgent: USER_AGENT, ...(values.source ? { sourceId: values.source } : {}) });
      }
      process.stderr.write(`tributary inspect: this build has only inspect --rules\n${USAGE}`);
      return 2;
    default:
      process.stderr.write(`unknown command "${command}"\n${USAGE}`);
      return 2;
  }
}

async function check(common: Common): Promise<number> {
  try {
    const config = await loadConfig(common.config);
    process.stdout.write(`${common.config}: ok, ${config.sources.length} sources (${config.sources.filter((s) => s.enabled).length} enabled)\n`);
    return 0;
  } catch (err) {
    return reportConfigError(err);
  }
}

async function fetchOnce(common: Common): Promise<number> {
  let config;
  try {
    config = await loadConfig(common.config);
  } catch (err) {
    return reportConfigError(err);
  }
  const logger = createLogger();
  const app = await App.open({ config, dataDir: common.data, logger });
  const report = await app.runCycle();
  for (const outcome of report.sources) {
    if (outcome.error) process.stderr.write(`${outcome.sourceId}: ${outcome.error.message}\n`);
  }
  const failed = report.sources.filter((s) => s.status === 'error').length;
  process.stderr.write(`fetched ${report.sources.length} sources (${failed} failed): ${report.added} new, ${report.updated} updated items; ${app.store.size} stored\n`);
  await app.close();
  return 0;
}

async function serve(common: Common, portText: string, host: string): Promise<number> {
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`invalid port "${portText}"\n`);
    return 2;
  }
  let config;
  try {
    config = await loadConfig(common.config);
  } catch (err) {
    return reportConfigError(err);
  }
  const logger = createLogger();
  const app = await App.open({ config, dataDir: common.data, logger });
  const address = await app.listen(port, host);
  logger.info({ host: address.address, port: address.port, items: app.store.size }, `serving on http://${host}:${address.port}/`);
  app.startSchedule();
  app.runCycle().catch((err) => logger.error({ err }, 'first cycle failed'));
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  logger.info('shutting down');
  await app.close();
  return 0;
}

function reportConfigError(err: unknown): number {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    return 1;
  }
  throw err;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`tributary: ${(err as Error).stack ?? err}\n`);
    process.exitCode = 1;
  },
);
