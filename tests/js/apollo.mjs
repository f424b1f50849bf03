// Apollo Client 4 against a running bspgraph: a query whose nested field fails is
// written to the cache and read back with the failed positions null.
// Usage: node apollo.mjs http://127.0.0.1:PORT/graphql CLIENT_ID
import assert from 'node:assert/strict';
import { ApolloClient, InMemoryCache, HttpLink, gql } from '@apollo/client';

const [url, clientId] = process.argv.slice(2);
const client = new ApolloClient({ link: new HttpLink({ uri: url }), cache: new InMemoryCache() });

const query = gql`
  query Partial($id: ID!) {
    providers { provider healthy }
    client(id: $id) { id name invitations(after: "bad") { totalCount } }
    clients(first: 5) { totalCount edges { node { id name } } }
    missing: node(id: "abc") { id }
  }
`;
const result = await client.query({ query, variables: { id: clientId }, errorPolicy: 'all' });
assert.ok(result.error, 'the field errors are reported');
assert.equal(result.data.client, null, 'the client whose non-null field failed is null');
assert.equal(result.data.missing, null, 'the failed nullable field is null');
assert.equal(result.data.providers.length, 3);
assert.equal(result.data.clients.edges[0].node.id, clientId);

const cached = client.readQuery({ query, variables: { id: clientId } });
const diff = client.cache.diff({ query, variables: { id: clientId }, returnPartialData: true, optimistic: false });
assert.ok(cached, `the cache can read the partial result back; missing: ${JSON.stringify(diff.missing)} ${JSON.stringify(client.cache.extract())}`);
assert.deepEqual(cached, result.data);
console.log('apollo: partial result cached and read back:', JSON.stringify(cached));

// Automatic persisted queries through Apollo's PersistedQueryLink: the first
// hash-only request misses, the link falls back to sending the query, and a fresh
// client then hits with the hash alone.
const { PersistedQueryLink } = await import('@apollo/client/link/persisted-queries');
const { createHash } = await import('node:crypto');
const sent = [];
const recordingFetch = async (uri, options) => {
  const body = JSON.parse(options.body);
  const res = await fetch(uri, options);
  const answer = await res.clone().json();
  sent.push({ hasQuery: typeof body.query === 'string', hash: body.extensions?.persistedQuery?.sha256Hash, answer });
  return res;
};
const apqClient = () => new ApolloClient({
  link: new PersistedQueryLink({ sha256: (q) => createHash('sha256').update(q).digest('hex') })
    .concat(new HttpLink({ uri: url, fetch: recordingFetch })),
  cache: new InMemoryCache(),
});
const apq = gql`query Apq { providers { provider mode } }`;
const first = await apqClient().query({ query: apq });
assert.equal(first.data.providers.length, 3);
assert.equal(sent.length, 2, JSON.stringify(sent));
assert.equal(sent[0].hasQuery, false);
assert.equal(sent[0].answer.errors[0].extensions.code, 'PERSISTED_QUERY_NOT_FOUND');
assert.equal(sent[1].hasQuery, true);
const second = await apqClient().query({ query: apq });
assert.deepEqual(second.data, first.data);
assert.equal(sent.length, 3);
assert.equal(sent[2].hasQuery, false, 'the hash alone hits');
assert.equal(sent[2].hash, sent[0].hash);
console.log('apollo: PersistedQueryLink missed, fell back, then hit with the hash alone');
