// Validations per second of ajv (draft-07), same protocol as bench.c:
// validate a parsed document; when invalid, read the first error's message.
// Usage: node bench.js SCHEMA DOC [SECONDS]  (NODE_PATH must reach ajv)
const fs = require("fs");
const Ajv = require("ajv");
const [schemaPath, docPath, secsArg] = process.argv.slice(2);
const schema = JSON.parse(fs.readFileSync(schemaPath, "utf8"));
const doc = JSON.parse(fs.readFileSync(docPath, "utf8"));
const secs = secsArg ? parseFloat(secsArg) : 1.0;
const ajv = new Ajv({ strict: false });
const validate = ajv.compile(schema);

let sink = 0;
function once() {
  if (validate(doc)) return null;
  const m = validate.errors[0].message;
  sink += m.length;
  return m;
}
once();
const e0 = validate.errors && validate.errors[0];
const first = e0 ? `${e0.keyword} at '${e0.instancePath}' (${e0.schemaPath}): ${e0.message}` : null;
let n = 0;
const t0 = process.hrtime.bigint();
let t;
for (;;) {
  for (let i = 0; i < 10000; i++) once();
  n += 10000;
  t = process.hrtime.bigint();
  if (Number(t - t0) / 1e9 >= secs) break;
}
console.log(`${(n / (Number(t - t0) / 1e9)).toFixed(0)} ${first || "valid"}`);
