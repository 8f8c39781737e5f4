// Times the reference parser (drafter.js) on one blueprint, in-process,
// best and median of N runs after a warm-up. Usage:
//   node scripts/drafter-timing.js FILE [RUNS]   (NODE_PATH must find drafter.js)
const fs = require('fs');
const drafter = require('drafter.js');
const file = process.argv[2];
const runs = Number(process.argv[3] || 10);
const text = fs.readFileSync(file, 'utf8');
for (let i = 0; i < 2; i++) drafter.parseSync(text, { requireBlueprintName: false });
const times = [];
for (let i = 0; i < runs; i++) {
  const t = process.hrtime.bigint();
  drafter.parseSync(text, { requireBlueprintName: false });
  times.push(Number(process.hrtime.bigint() - t) / 1e6);
}
times.sort((a, b) => a - b);
console.log(JSON.stringify({ file, runs, best_ms: times[0], median_ms: times[Math.floor(runs / 2)] }));
