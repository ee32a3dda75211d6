// Types of scripts/generations.js for the TypeScript that imports it (tests/integration/build-generations.test.ts).
export function newGeneration(root: string): string;
export function pointDistAt(root: string, generation: string): void;
export function pruneGenerations(root: string, complete: string): void;
export function registerUser(generation: string): void;
