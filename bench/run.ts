// npm run bench [-- [--quick] [--huge] [--pg-case memory|big|scale|scale-latency|fault] [serve] [ingest] [render] [store] [memory] [pg] [start]]: runs the benchmark modules
// (all but pg by default, in that order; pg, the PostgreSQL store's figures, when named), prints a table and writes
// bench/results.json (git-ignored). --quick runs smaller sizes and
// shorter loads, for a first look; its figures are not the README's. --huge adds a store of 1M items to memory and
// start (several minutes each, ~2 GiB of RAM and a ~1 GB store file cached under the temp directory): the size
// issue 15 asks figures of, too slow to run every time.
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeMachine, formatTable, type BenchRow } from './report.ts';

type Profile = 'full' | 'quick';

const MODULES: Record<string, (profile: Profile, huge: boolean, pgCases: readonly string[]) => Promise<BenchRow[]>> = {
  serve: async (profile) => {
    const { run, SERVE_PROFILES } = await import('./serve.ts');
    return run(SERVE_PROFILES[profile]);
  },
  ingest: async (profile) => {
    const { run, INGEST_PROFILES } = await import('./ingest.ts');
    return run(INGEST_PROFILES[profile]);
  },
  render: async (profile) => {
    const { run, RENDER_PROFILES } = await import('./render.ts');
    return run(RENDER_PROFILES[profile]);
  },
  store: async (profile) => {
    const { run, STORE_PROFILES } = await import('./store.ts');
    return run(STORE_PROFILES[profile]);
  },
  memory: async (profile, huge) => {
    const { run, MEMORY_PROFILES, HUGE_SERVE_ITEMS } = await import('./memory.ts');
    return run({ ...MEMORY_PROFILES[profile], ...(huge ? { hugeServeItems: HUGE_SERVE_ITEMS } : {}) });
  },
  pg: async (profile, _huge, pgCases) => {
    const { run, PG_PROFILES, PG_CASES } = await import('./pg.ts');
    // BENCH_PG_STORED_ITEMS: the big store at another size (50000 for a quick look at memory; the goal is at 1M)
    const stored = Number(process.env.BENCH_PG_STORED_ITEMS) || undefined;
    return run({ ...PG_PROFILES[profile], ...(stored ? { storedItems: stored } : {}) }, pgCases.length > 0 ? pgCases : PG_CASES);
  },
  start: async (profile, huge) => {
    const { run, START_PROFILES, HUGE_START } = await import('./start.ts');
    return run({ ...START_PROFILES[profile], ...(huge ? { huge: HUGE_START } : {}) });
  },
};

/**
 * Run only when named: pg needs PostgreSQL's server programs (Debian's postgresql package) and, at full size, half
 * an hour (a store of 1M items, then 20 rounds of the fault test).
 */
const ON_REQUEST = new Set(['pg']);

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    quick: { type: 'boolean', default: false }, huge: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' },
    // pg's cases one at a time: the big store alone (the cycle at 1M items) takes minutes, the whole module half an hour
    'pg-case': { type: 'string', multiple: true, default: [] },
  },
});
const unknown = [...positionals.filter((name) => !(name in MODULES)), ...values['pg-case'].filter((c) => !['memory', 'big', 'scale', 'scale-latency', 'fault'].includes(c)).map((c) => `--pg-case ${c}`)];
if (values.help || unknown.length > 0) {
  if (unknown.length > 0) process.stderr.write(`unknown benchmark: ${unknown.join(', ')}\n`);
  process.stderr.write(`usage: npm run bench -- [--quick] [--huge] [--pg-case memory|big|scale|scale-latency|fault] [${Object.keys(MODULES).join('] [')}]\n`
    + '  --huge: memory and start also at 1M stored items (minutes each)\n'
    + '  --pg-case: only these cases of pg (repeat it for several): big (1M stored, the cycle and memory), memory (big without the embedded store\'s reference cycle), scale (CPU-bound), '
    + 'scale-latency (every answer after 500 ms), fault\n');
  process.exit(values.help ? 0 : 2);
}
const profile: Profile = values.quick ? 'quick' : 'full';
const selected = positionals.length > 0 ? Object.keys(MODULES).filter((name) => positionals.includes(name)) : Object.keys(MODULES).filter((name) => !ON_REQUEST.has(name));
const machine = describeMachine();
const started = performance.now();
const rows: BenchRow[] = [];
const modules: { name: string; seconds: number; cpuSeconds: number | null; loadAverage: number }[] = [];
for (const name of selected) {
  const moduleStart = performance.now();
  const cpuStart = cpuSeconds();
  process.stderr.write(`running ${name} (${profile}${values.huge && (name === 'memory' || name === 'start') ? ', with 1M items' : ''})…\n`);
  rows.push(...await MODULES[name]!(profile, values.huge, values['pg-case']));
  const cpuEnd = cpuSeconds();
  const spent = { name, seconds: (performance.now() - moduleStart) / 1000, cpuSeconds: cpuStart === null || cpuEnd === null ? null : cpuEnd - cpuStart, loadAverage: loadavg()[0]! };
  modules.push(spent);
  process.stderr.write(`${name} took ${spent.seconds.toFixed(0)} s${spent.cpuSeconds === null ? '' : ` (${spent.cpuSeconds.toFixed(0)} s of CPU)`}, load average ${spent.loadAverage.toFixed(2)}\n`);
}
const seconds = Math.round((performance.now() - started) / 1000);
const args = process.argv.slice(2);
const command = `npm run bench${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`;

process.stdout.write(formatTable(rows));
process.stdout.write(`\n${machine.cores} x ${machine.cpu}, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.platform}; `
  + `load average ${machine.loadAverage} at the start, ${loadavg()[0]!.toFixed(2)} at the end; ${command} took ${seconds} s\n`);
const out = fileURLToPath(new URL('./results.json', import.meta.url));
writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), command, profile, seconds, machine, loadAverageAtEnd: loadavg()[0], modules, rows }, null, 2)}\n`);
process.stdout.write(`written ${out}\n`);

/**
 * CPU seconds this process and every child it has reaped have used (Linux: /proc/self/stat; null elsewhere). Every
 * module waits for its children, so the difference over a module is its CPU time: unlike its wall time, it hardly
 * moves when other work shares the machine: beside the wall time it tells a slow machine from a slow module.
 */
function cpuSeconds(): number | null {
  try {
    // Fields after the command name (in parentheses): utime, stime, cutime, cstime are 14-17 of the whole line.
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields.slice(11, 15).reduce((sum, ticks) => sum + Number(ticks), 0) / 100;
  } catch {
    return null;
  }
}
