// The usage text and the exit code 2 of a command line that cannot be run as given.

export const USAGE = `usage:
  tributary serve [--config PATH] [--data DIR] [--port N] [--host H] [--recover] [--purge] [--shutdown-timeout S]
                  [--database postgres://…] [--role all|fetch|serve]   (the PostgreSQL store, shared by instances)
  tributary fetch --once [--force] [--source ID[,ID…]]… [--config PATH] [--data DIR] [--recover] [--purge]
                  [--database postgres://…]   (one pass against the PostgreSQL store, leasing like an instance)
  tributary check [--config PATH]
  tributary prune --now [--config PATH] [--data DIR] [--purge]
  tributary check --discover URL [--config PATH]
  tributary import-opml FILE [--config PATH]
  tributary inspect FILE|URL [--url BASE] [--content-type CT] [--timezone TZ] [--config PATH]
  tributary inspect --rules FILE|URL [--config PATH] [--source ID]
  tributary inspect --source ID [FILE|URL] [--content-type CT] [--config PATH] [--data DIR] [--database postgres://…]
                    (what the service would store from that source's document now: its stored state and items)
  tributary inspect --html FILE|URL --select-item CSS --select-title SEL [--select-link SEL] [--select-summary SEL]
                    [--select-date SEL] [--select-date-format FMT] [--url BASE] [--content-type CT] [--timezone TZ] [--config PATH]
  tributary inspect --full-text URL [--select CSS] [--remove CSS]… [--config PATH]   (an item page's article)
  tributary migrate-store --to postgres://… [--data DIR]          (the embedded store into an empty database)
  tributary migrate-store --to DIR [--database postgres://…]      (a PostgreSQL store into an empty data directory)
  tributary --help | -h | --version      (also after any command)
PATH is a config file or a directory of *.yaml and *.opml files (default: the feeds/ directory).
`;

/** Prints message on stderr; returns 2, the exit code of a command line that cannot be run as given. */
export function usageError(message: string): number {
  process.stderr.write(`${message}\n`);
  return 2;
}
