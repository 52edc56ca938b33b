// The fastify side of bench/jsonbody/run.sh: the same three routes as
// server.c, each with a body schema (ajv) and a response schema so the
// reply goes through fast-json-stringify, in the {now, data, elapsed}
// envelope. PORT from the environment.
'use strict';
const path = require('path');
const fastify = require('fastify')({ logger: false });

const person = require(path.join(__dirname, '..', 'jsonschema', 'person.schema.json'));
const persons = require(path.join(__dirname, 'persons.schema.json'));
const strip = (s) => { const c = { ...s }; delete c.$schema; return c; };
const envelope = (data) => ({
  200: { type: 'object', properties: { now: { type: 'integer' }, data, elapsed: { type: 'integer' } } },
});
const reply = (now, data) => ({ now, data, elapsed: Date.now() - now });

fastify.get('/hello', {
  schema: { response: envelope({ type: 'object', properties: { greeting: { type: 'string' } } }) },
}, async () => reply(Date.now(), { greeting: 'hello world' }));

fastify.post('/person', {
  schema: { body: strip(person), response: envelope(strip(person)) },
}, async (req) => reply(Date.now(), req.body));

fastify.post('/persons', {
  schema: { body: strip(persons), response: envelope(strip(persons)) },
}, async (req) => reply(Date.now(), req.body));

fastify.listen({ port: Number(process.env.PORT || 8080), host: '127.0.0.1' }).catch((e) => {
  console.error(e);
  process.exit(1);
});
