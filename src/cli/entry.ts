#!/usr/bin/env node
// The process entry of the CLI (bin/tributary.js, npm start): runs main() on the command line and sets the exit
// code; an error no command reports itself is a bug, printed with its stack, exit 1.
import { main } from './main.ts';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`tributary: ${(err as Error).stack ?? err}\n`);
    process.exitCode = 1;
  },
);
