// Helpers of the browser test (browser.mjs): checks with a tally, GraphQL from node,
// screenshots, and pages that may reach only loopback.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const shots = env('SCREENSHOT_DIR');
mkdirSync(shots, { recursive: true });

/** How long any one wait may take (generous: CI runs this beside the rest of the suite on 2 cores). */
export const WAIT = 30000;

export const results = { failed: 0, passed: 0 };

/** Run one named check; a failure is reported and fails the run. */
export async function check(name, fn) {
  try {
    await fn();
    results.passed += 1;
    console.log(`ok      ${name}`);
  } catch (e) {
    const why = (e && e.message ? e.message : String(e)).replace(/\s+/g, ' ').slice(0, 600);
    results.failed += 1;
    console.log(`FAIL    ${name}: ${why}`);
  }
}

/** POST a GraphQL operation from node (not the browser); throws on errors. */
export async function gql(base, query, variables = {}, token) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const resp = await fetch(`${base}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const body = await resp.json();
  if (body.errors) throw new Error(`${query.slice(0, 60)}…: ${JSON.stringify(body.errors)}`);
  return body.data;
}

export async function screenshot(page, name) {
  const path = join(shots, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot ${path}`);
}

/** A page that may reach only loopback, recording what it was refused and what broke. */
export async function openPage(browser, problems) {
  const page = await browser.newPage();
  await page.setViewport({ width: 1360, height: 900 });
  page.setDefaultTimeout(WAIT);
  page.setDefaultNavigationTimeout(WAIT);
  await page.setRequestInterception(true);
  page.on('request', (req) => {
    const url = new URL(req.url());
    if (url.protocol === 'data:' || url.hostname === '127.0.0.1') return req.continue();
    problems.push(`blocked a request to another host: ${req.url()}`);
    return req.abort();
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });
  await page.evaluateOnNewDocument(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
  });
  return page;
}

export function noProblems(problems) {
  if (problems.length) throw new Error(problems.join('; '));
}


/** Record every WebSocket the page opens and what it sends and receives; while
 *  `__ws.hold` is set, new sockets go to a closed loopback port (a dropped network). */
export function instrumentSockets() {
  const Native = window.WebSocket;
  const ws = { hold: false, sockets: [], sent: [], received: [] };
  window.__ws = ws;
  window.WebSocket = class extends Native {
    constructor(url, protocols) {
      super(ws.hold ? String(url).replace(/:\d+\//, ':9/') : url, protocols);
      ws.sockets.push(this);
      this.addEventListener('message', (e) => ws.received.push(JSON.parse(e.data)));
    }
    send(data) {
      ws.sent.push(JSON.parse(data));
      super.send(data);
    }
  };
}
