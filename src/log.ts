import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { PinoPretty } from 'pino-pretty';

// pino-pretty (with colorette, fast-copy, pump… read from node_modules) is loaded only for the pretty form, a
// person's terminal: a service writing JSON lines never needs it, and loading it cost every start ~30 ms of CPU.
const require = createRequire(import.meta.url);

export type { Logger };

export type LogFormat = 'json' | 'pretty';

/**
 * LOG_FORMAT=json or pretty when set; otherwise pretty on a terminal (a person reads it) and JSON lines
 * everywhere else (a file, journald, a log shipper parse them).
 */
export function logFormatOf(env: NodeJS.ProcessEnv, isTTY: boolean): LogFormat {
  const asked = env.LOG_FORMAT?.trim().toLowerCase();
  if (asked === 'json' || asked === 'pretty') return asked;
  return isTTY ? 'pretty' : 'json';
}

/**
 * Structured logs on stderr, so stdout stays free for command output (inspect, check).
 * The pretty form is pino-pretty as a stream in this process, not a transport: a transport is a worker thread
 * (its own heap, its own start), and its lines can be lost when the process exits right after an error, which
 * is exactly when a person reads the console. Writes stay synchronous, as they are for JSON.
 */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info', format = logFormatOf(process.env, process.stderr.isTTY === true)): Logger {
  return pino({ level, base: { service: 'tributary' } }, format === 'pretty' ? prettyStream() : pino.destination({ dest: 2, sync: true }));
}

function prettyStream(): DestinationStream {
  const { PinoPretty: pretty } = require('pino-pretty') as { PinoPretty: typeof PinoPretty };
  return pretty({
    destination: 2,
    sync: true,
    colorize: process.stderr.isTTY === true,
    translateTime: 'SYS:HH:MM:ss',
    // the service name is on every line and says nothing; pid and hostname matter to a log shipper, not to a person;
    // err and error are folded into the message (messageLine)
    ignore: 'pid,hostname,service,err,error',
    singleLine: true,
    messageFormat: messageLine,
  });
}

interface LoggedError {
  message?: string;
  stack?: string;
}

/**
 * pino-pretty prints an error object over a dozen lines (type, message, every stack frame): a failing source would
 * fill the screen each cycle. Its message joins the line instead; the stack follows only at level error and above,
 * where it points at a fault of the service rather than of a feed. LOG_FORMAT=json keeps everything.
 */
function messageLine(log: Record<string, unknown>, messageKey: string): string {
  const msg = String(log[messageKey] ?? '');
  const found = log.err ?? log.error;
  if (found === undefined || found === null) return msg;
  const err: LoggedError = typeof found === 'object' ? found as LoggedError : { message: String(found) };
  const line = err.message && !msg.includes(err.message) ? `${msg}: ${err.message}` : msg;
  const isFault = typeof log.level === 'number' && log.level >= 50;
  return isFault && err.stack ? `${line}\n${err.stack.replace(/^/gm, '    ')}` : line;
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
