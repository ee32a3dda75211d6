import { run, SERVE_CYCLE_PROFILES } from './serve-cycle.ts';
const rows = await run(SERVE_CYCLE_PROFILES.full);
console.log(process.env.TAG, rows.slice(0, 3).map((r) => `${r.measured.value.toFixed(0)}/${r.reference.value.toFixed(0)}=${r.ratio.toFixed(2)}`).join('  '));
