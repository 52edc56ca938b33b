// V8's JSON.parse and JSON.parse + JSON.stringify on FILE, in MB/s of input
// text (10^6 bytes), each measured for SECONDS: node roundtrip.js FILE SECONDS
'use strict';
const fs = require('fs');
const text = fs.readFileSync(process.argv[2], 'utf8');
const bytes = Buffer.byteLength(text);
const secs = Number(process.argv[3] || 1);
let sink = 0;
function run(name, fn) {
  for (let i = 0; i < 5; i++) fn(); // warm up
  let n = 0;
  const t0 = process.hrtime.bigint();
  let t;
  do {
    for (let i = 0; i < 5; i++) fn();
    n += 5;
    t = process.hrtime.bigint();
  } while (Number(t - t0) / 1e9 < secs);
  console.log(`${name} ${(bytes * n / (Number(t - t0) / 1e9) / 1e6).toFixed(1)}`);
}
run('v8-parse', () => { sink += JSON.parse(text) ? 1 : 0; });
run('v8-roundtrip', () => { sink += JSON.stringify(JSON.parse(text)).length; });
