// graphql-js builds a client schema from bspgraph's answer to the standard
// introspection query (every option on), and it matches schema.graphql.
// Usage: node introspection.mjs http://127.0.0.1:PORT/graphql
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { buildClientSchema, buildSchema, getIntrospectionQuery, printSchema, lexicographicSortSchema } from 'graphql';

const url = process.argv[2];
const query = getIntrospectionQuery({
  descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true,
});
const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
const body = await res.json();
assert.equal(body.errors, undefined, JSON.stringify(body.errors));
const served = buildClientSchema(body.data);
const committed = buildSchema(readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8'));
const builtIn = new Set(['Boolean', 'Float', 'ID', 'Int', 'String']);
const names = (s) => Object.keys(s.getTypeMap()).filter((n) => !n.startsWith('__') && !builtIn.has(n)).sort();
assert.deepEqual(names(served), names(committed));
console.log(`introspection: buildClientSchema accepted ${names(served).length} types;`,
  printSchema(lexicographicSortSchema(served)).length, 'characters of SDL');
