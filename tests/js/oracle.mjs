// graphql-js as the oracle of field-error nulls: for each document, the server runs
// it twice — with variables that make some fields fail, and with variables under
// which nothing fails (the values). graphql-js then executes the failing run over the
// schema built from schema.graphql, its resolvers returning the clean values and
// throwing at exactly the paths where the server reported errors. The server's `data`
// must equal graphql-js's, and every error graphql-js reports
// must be among the server's.
// Usage: node oracle.mjs http://127.0.0.1:PORT/graphql CLIENT_ID
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { buildSchema, execute, parse, responsePathAsArray } from 'graphql';

const [url, c] = process.argv.slice(2);
const schema = buildSchema(readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8'));

const cases = [
  ['nullable root field',
    'query($id: ID!) { providers { provider } a: node(id: $id) { __typename id } }',
    { id: 'abc' }, { id: c }],
  ['non-null field under a nullable one',
    'query($c: ID!, $after: String) { client(id: $c) { name invitations(after: $after) { totalCount } } providers { provider } }',
    { c, after: 'bad' }, { c }],
  ['non-null all the way to the root',
    'query($after: String) { providers { provider } clients { edges { node { name invitations(after: $after) { totalCount } } } } }',
    { after: 'bad' }, {}],
  ['aliases, fragments and several failures',
    `query($id: ID!, $c: ID!, $after: String) { a: node(id: $id) { __typename id } b: client(id: $c) { ...F } c: client(id: $c) { name } }
     fragment F on Client { name inv: invitations(after: $after) { totalCount } }`,
    { id: 'abc', c, after: 'bad' }, { id: c, c }],
  ['through an interface',
    'query($c: ID!, $after: String) { node(id: $c) { __typename ... on Client { id invitations(after: $after) { totalCount } } } }',
    { c, after: 'bad' }, { c }],
  ['a list of nullable nodes',
    'query($ids: [ID!]!) { providers { provider } nodes(ids: $ids) { __typename id } }',
    { ids: ['abc'] }, { ids: [c] }],
];

async function server(query, variables) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  return res.json();
}

const key = (path) => JSON.stringify(path);
let compared = 0;
for (const [name, query, bad, clean] of cases) {
  const failing = await server(query, bad);
  const values = await server(query, clean);
  assert.equal(values.errors, undefined, `${name}: the clean run must not fail: ${JSON.stringify(values.errors)}`);
  assert.ok(failing.errors?.length, `${name}: the failing run must fail`);
  const failed = new Set(failing.errors.map((e) => key(e.path)));
  const oracle = await execute({
    schema,
    document: parse(query),
    rootValue: values.data,
    variableValues: bad,
    fieldResolver: (source, _args, _ctx, info) => {
      if (failed.has(key(responsePathAsArray(info.path)))) throw new Error('boom');
      return source?.[info.path.key];
    },
    typeResolver: (value) => value.__typename,
  });
  // Key order is not compared: async-graphql orders sibling keys by completion, not
  // by the document (a quirk of its parallel execution, independent of errors).
  assert.deepStrictEqual(failing.data, JSON.parse(JSON.stringify(oracle.data)), `${name}: data differs from graphql-js`);
  for (const e of oracle.errors ?? []) {
    assert.ok(failed.has(key(e.path)), `${name}: graphql-js reports ${key(e.path)}, the server does not`);
  }
  console.log(`oracle ok: ${name}: ${JSON.stringify(failing.data)}`);
  compared += 1;
}
console.log(`${compared} documents: the server's data equals graphql-js's`);
