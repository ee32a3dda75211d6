import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured logs on stderr, so stdout stays free for command output (inspect, check). */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { service: 'tributary' } }, pino.destination({ dest: 2, sync: true }));
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
