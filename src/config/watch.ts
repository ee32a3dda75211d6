import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { isConfigFileName } from './load.ts';

export interface ConfigWatcher {
  close(): void;
}

/**
 * Calls `onChange` once things settle after a config file is written, added, renamed or removed. The
 * directory is watched rather than the files, because editors save by writing a new file and renaming it
 * over the old one, which a watch on the old file would never see.
 */
export async function watchConfig(path: string, onChange: () => void, onError: (err: Error) => void, settleMs = 200): Promise<ConfigWatcher> {
  const isDirectory = (await stat(path)).isDirectory();
  const dir = isDirectory ? path : dirname(path);
  const only = isDirectory ? undefined : basename(path);
  let timer: NodeJS.Timeout | undefined;
  const watcher: FSWatcher = watch(dir, { persistent: false }, (_event, name) => {
    const file = name?.toString();
    if (file && (only ? file !== only : !isConfigFileName(file))) return;
    clearTimeout(timer);
    timer = setTimeout(onChange, settleMs);
  });
  watcher.on('error', onError);
  return {
    close() {
      clearTimeout(timer);
      watcher.close();
    },
  };
}
