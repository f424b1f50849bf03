// Load check (not a test): CLIENTS concurrent clients send the hostile regression
// documents to a running bspgraph for SECONDS seconds while one more client measures
// `/healthz` latency. Prints the refusal codes seen and the health p50/p99.
//
//   node tests/js/hostile_load.mjs http://127.0.0.1:8080 8 10
//
// Uses only node's built-in fetch (no packages).

const [base = 'http://127.0.0.1:8080', clients = '8', seconds = '10'] = process.argv.slice(2);
const url = `${base}/graphql`;

const doubling = (levels) => {
  let text = 'query { ...F0 }\n';
  for (let i = 0; i < levels; i++) text += `fragment F${i} on Query { a: __typename ...F${i + 1} ...F${i + 1} }\n`;
  return text + `fragment F${levels} on Query { a: __typename }\n`;
};
const aliases = (n, sel) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${sel}`).join(' ')} }`;
const deepList = `{ nodes(ids: ${'['.repeat(2000)}"x"${']'.repeat(2000)}) { id } }`;

const requests = [
  ['POST deep list', { query: deepList }],
  ['GET deep list', null],
  ['POST doubling 22', { query: doubling(22) }],
  ['POST doubling 24', { query: doubling(24) }],
  ['POST doubling 25', { query: doubling(25) }],
  ['POST 55,000 aliases', { query: aliases(55000, '__typename') }],
  ['POST 1,000 totalCount', { query: aliases(1000, 'clients(first: 1) { totalCount }') }],
  ['POST 100 KB search', { query: 'query($s: String) { clients(filter: { search: $s }) { totalCount } }', variables: { s: 'x'.repeat(100 * 1024) } }],
];

async function send([name, body]) {
  try {
    const resp = body
      ? await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      : await fetch(`${url}?query=${encodeURIComponent(deepList)}`);
    const text = await resp.text();
    let code = 'answered';
    try {
      code = JSON.parse(text).errors?.[0]?.extensions?.code ?? code;
    } catch {
      code = text.slice(0, 40);
    }
    return `${name}: ${resp.status} ${code}`;
  } catch (e) {
    // A body over the server's limit is refused (413) before it is read whole: the
    // server closes the connection while the client is still writing.
    return `${name}: connection closed while sending (${e.cause?.code ?? e.message})`;
  }
}

const deadline = Date.now() + Number(seconds) * 1000;
const seen = new Map();
let sent = 0;
async function attacker(k) {
  for (let i = k; Date.now() < deadline; i++) {
    const line = await send(requests[i % requests.length]);
    seen.set(line, (seen.get(line) ?? 0) + 1);
    sent++;
  }
}
const health = [];
let healthFailures = 0;
// undici can report a body write cut short by an early answer (413, 429) outside the
// request's own promise: count it rather than crash.
let stray = 0;
process.on('uncaughtException', () => stray++);
process.on('unhandledRejection', () => stray++);
async function prober() {
  while (Date.now() < deadline) {
    const t = performance.now();
    try {
      const resp = await fetch(`${base}/healthz`);
      await resp.text();
      health.push(performance.now() - t);
    } catch (e) {
      healthFailures++;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

await Promise.all([prober(), ...Array.from({ length: Number(clients) }, (_, k) => attacker(k))]);
health.sort((a, b) => a - b);
const pct = (p) => health[Math.min(health.length - 1, Math.floor((p / 100) * health.length))].toFixed(2);
for (const [line, n] of [...seen].sort()) console.log(`${line} (x${n})`);
console.log(`hostile requests: ${sent} in ${seconds} s (${stray} cut short by the server); /healthz samples: ${health.length} (${healthFailures} failed), p50 ${pct(50)} ms, p99 ${pct(99)} ms, max ${health.at(-1).toFixed(2)} ms`);
