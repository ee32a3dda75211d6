import { cpSync, mkdirSync, realpathSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CHECKOUT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * A checkout without dist/ at parent/name: what the CLI and its build need, src/ copied (edits stay there),
 * node_modules linked. Building, editing and locking it never touches the dist/ the other tests start from.
 */
export function checkoutCopy(parent: string, name: string): string {
  const root = join(parent, name);
  mkdirSync(root);
  for (const part of ['bin', 'scripts', 'src', 'tsconfig.json', 'package.json']) cpSync(join(CHECKOUT, part), join(root, part), { recursive: true });
  symlinkSync(realpathSync(join(CHECKOUT, 'node_modules')), join(root, 'node_modules'));
  return root;
}
