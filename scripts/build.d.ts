// Types of scripts/build.js for the TypeScript that imports it (tests/setup/build-dist.ts).
export function fingerprint(): string;
export function isBuilt(print?: string): boolean;
export function build(): Promise<void>;
export function ensureBuilt(): Promise<string | null>;
/** The bundled files of dist/bundle/ and the modules each holds (dist/bundle/inputs.json). */
export const BUNDLE_INPUTS: string;
