// The reference of the ingest benchmark: the same documents the fixture server serves, parsed by rss-parser
// alone (parseString, default options, one after another) in a fresh process: the floor under our cost of
// turning fetched bytes into items. Usage: tsx bench/parse-floor.ts SOURCES ITEMS; prints one JSON line.
import Parser from 'rss-parser';
import { peakRssMiB } from './child.ts';
import { fixtureFeed } from './fixture-feed.ts';

export interface ParseFloor {
  wallMs: number;
  cpuMs: number;
  items: number;
  peakRssMiB: number;
}

const [sources, itemsPerSource] = process.argv.slice(2).map(Number) as [number, number];
const documents = Array.from({ length: sources }, (_, n) => fixtureFeed(n, itemsPerSource));
const parser = new Parser();
const cpuStart = process.cpuUsage();
const start = performance.now();
let items = 0;
for (const body of documents) items += (await parser.parseString(body.toString('utf8'))).items.length;
const wallMs = performance.now() - start;
const cpu = process.cpuUsage(cpuStart);
const result: ParseFloor = { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, items, peakRssMiB: peakRssMiB() };
process.stdout.write(`${JSON.stringify(result)}\n`);
