// Timing check (not a test): how long an open WebSocket outlives its operator key.
// For each round it creates a key with the bspgraph CLI, opens a graphql-transport-ws
// socket with it (a statusChanged subscription running), revokes the key with the CLI
// (another process, as an operator would) and measures until the server closes the
// socket. Prints each close code and delay, then the worst.
//
//   DATABASE_URL=sqlite:///tmp/b.db?mode=rwc BSPGRAPH_MODE=production ... bspgraph serve &
//   DATABASE_URL=... node tests/js/revoke_close.mjs target/release/bspgraph ws://127.0.0.1:8080/graphql/ws 5

import { execFileSync } from 'node:child_process';
import WebSocket from 'ws';

const [bin, url, rounds = '5'] = process.argv.slice(2);

function createKey(name) {
  const out = execFileSync(bin, ['keys', 'create', '--name', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return out.trim();
}

function keyId(name) {
  const listed = execFileSync(bin, ['keys', 'list'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const line = listed.split('\n').find((l) => l.includes(name));
  return line.trim().split(/\s+/)[0];
}

async function round(i) {
  const name = `revoke-timing-${Date.now()}-${i}`;
  const key = createKey(name);
  const ws = new WebSocket(url, 'graphql-transport-ws');
  const closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
  await new Promise((resolve, reject) => {
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { Authorization: `Bearer ${key}` } })));
    ws.on('message', (data) => {
      const msg = JSON.parse(data);
      if (msg.type === 'connection_ack') {
        ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { statusChanged { cursor } }' } }));
        resolve();
      }
    });
    ws.on('error', reject);
  });
  execFileSync(bin, ['keys', 'revoke', keyId(name)], { stdio: 'ignore' });
  const t0 = performance.now();
  const code = await closed;
  const ms = performance.now() - t0;
  console.log(`round ${i}: closed with ${code} ${ms.toFixed(0)} ms after the revoke`);
  return ms;
}

const delays = [];
for (let i = 0; i < Number(rounds); i++) delays.push(await round(i));
console.log(`worst: ${Math.max(...delays).toFixed(0)} ms over ${delays.length} revokes`);
