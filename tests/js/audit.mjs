// graphql-http's GraphQL-over-HTTP audit against a running bspgraph.
// Usage: node audit.mjs http://127.0.0.1:PORT/graphql
// Prints every audit and "N ok, N warn, N error, N notice"; exits 1 on any warn or error.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
const results = await auditServer({ url });
const counts = { ok: 0, warn: 0, error: 0, notice: 0 };
for (const r of results) {
  counts[r.status] += 1;
  const reason = r.status === 'ok' ? '' : ` -- ${r.reason}`;
  console.log(`${r.status.padEnd(6)} ${r.id} ${r.name}${reason}`);
}
console.log(`${counts.ok} ok, ${counts.warn} warn, ${counts.error} error, ${counts.notice} notice`);
process.exit(counts.warn || counts.error ? 1 : 0);
