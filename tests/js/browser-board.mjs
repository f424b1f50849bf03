// The board's checks in the browser test (browser.mjs): live rows from `statusChanged`,
// a dropped socket resumed with the last cursor, a client-scoped token, the sign-in
// notice in production, and a plain WebSocket to /graphql/ws.
import { check, gql, instrumentSockets, noProblems, openPage, screenshot, WAIT } from './browser-support.mjs';

const START = `mutation($input: StartOnboardingInput!) {
  startOnboarding(input: $input) { invitation { id client { id } } userErrors { code message } } }`;
const SIMULATE = `mutation($id: ID!, $action: SandboxAction!) {
  sandboxSimulate(invitationId: $id, action: $action) { providerState userErrors { code } } }`;

const rowStatus = (page, id) =>
  page.$eval(`tr[data-id="${id}"]`, (tr) => tr.dataset.status).catch(() => null);

const waitRow = (page, id, status, timeout = WAIT) =>
  page.waitForFunction((i, s) => {
    const tr = document.querySelector(`tr[data-id="${i}"]`);
    return tr && tr.dataset.status === s;
  }, { timeout }, id, status);

const waitConnection = (page, state, timeout = WAIT) =>
  page.waitForFunction((s) => document.getElementById('connection').dataset.state === s, { timeout }, state);

async function waitStored(base, id, status) {
  const deadline = Date.now() + WAIT;
  for (;;) {
    const data = await gql(base, 'query($id: ID!) { node(id: $id) { ... on Invitation { status } } }', { id });
    if (data.node?.status === status) return;
    if (Date.now() > deadline) throw new Error(`invitation ${id} never reached ${status}: ${JSON.stringify(data)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function start(base, name, token) {
  const input = { provider: 'ZAVU', client: { name, externalId: `${name}-${Date.now()}` } };
  const data = await gql(base, START, { input }, token);
  const payload = data.startOnboarding;
  if (!payload.invitation) throw new Error(`startOnboarding refused: ${JSON.stringify(payload.userErrors)}`);
  return payload.invitation;
}

async function liveAndResumed(page, dev) {
  let inv;
  await check('the board lists a new invitation live (no reload)', async () => {
    await page.goto(`${dev}/board`, { waitUntil: 'networkidle0' });
    await waitConnection(page, 'live');
    inv = await start(dev, 'Board Co');
    await waitRow(page, inv.id, 'PENDING');
    await screenshot(page, 'board-pending');
  });
  if (!inv) return null;

  await check('after a dropped socket it resumes from the last cursor and misses nothing', async () => {
    const before = await page.evaluate(() => {
      const events = window.__ws.received.filter((m) => m.type === 'next');
      const cursor = events.length ? events[events.length - 1].payload.data.statusChanged.cursor : null;
      window.__ws.hold = true;
      window.__ws.sockets[window.__ws.sockets.length - 1].close();
      return { cursor, subscribes: window.__ws.sent.filter((m) => m.type === 'subscribe').length };
    });
    if (!before.cursor) throw new Error('no statusChanged event reached the page before the drop');
    await page.waitForFunction(() => document.getElementById('connection').dataset.state !== 'live');
    // While the board is cut off, the customer finishes; Zavu's webhook brings the change.
    const done = await gql(dev, SIMULATE, { id: inv.id, action: 'COMPLETE' });
    if (done.sandboxSimulate.providerState?.status !== 'completed') throw new Error(JSON.stringify(done));
    await waitStored(dev, inv.id, 'COMPLETED');
    if ((await rowStatus(page, inv.id)) !== 'PENDING') throw new Error('the row changed while the socket was down');
    await page.evaluate(() => { window.__ws.hold = false; });
    await waitRow(page, inv.id, 'COMPLETED');
    const resumedWith = await page.evaluate((n) =>
      window.__ws.sent.filter((m) => m.type === 'subscribe').slice(n).map((m) => m.payload.variables.after), before.subscribes);
    if (!resumedWith.length || resumedWith.some((after) => after !== before.cursor)) {
      throw new Error(`resubscribed with after=${JSON.stringify(resumedWith)}, expected ${before.cursor}`);
    }
    // The sender and WABA the completion linked show up too.
    await page.waitForFunction((i) => {
      const cells = document.querySelectorAll(`tr[data-id="${i}"] td`);
      return cells.length > 3 && cells[2].textContent.includes('ACTIVE') && cells[3].textContent.includes('ONBOARDED');
    }, { timeout: WAIT }, inv.id);
    await screenshot(page, 'board-completed');
  });
  return inv;
}

async function clientScoped(page, dev, mine) {
  await check('with a client token it shows only that client, live', async () => {
    const issued = await gql(dev, 'mutation($id: ID!) { issueClientToken(clientId: $id) { token } }', { id: mine.client.id });
    const token = issued.issueClientToken.token;
    await start(dev, 'Someone Else');
    await page.type('#token', token);
    await page.click('#token-form button[type="submit"]');
    await waitConnection(page, 'live');
    await page.waitForFunction((i) => !!document.querySelector(`tr[data-id="${i}"]`), { timeout: WAIT }, mine.id);
    const clients = await page.$$eval('tr[data-id]', (trs) => [...new Set(trs.map((tr) => tr.dataset.client))]);
    if (clients.length !== 1 || clients[0] !== mine.client.id) throw new Error(`rows of clients ${clients}`);
    const stored = await page.evaluate(() => sessionStorage.getItem('bspgraph.board.token'));
    if (stored !== token) throw new Error('the token is not kept in sessionStorage');
    const again = await gql(dev, START, { input: { provider: 'SENDZEN', clientId: mine.client.id } });
    await waitRow(page, again.startOnboarding.invitation.id, 'PENDING');
    await screenshot(page, 'board-client-token');
  });
}

async function production(browser, prod, prodKey) {
  const problems = [];
  const page = await openPage(browser, problems);
  await check('in production without a token it asks for one', async () => {
    await page.goto(`${prod}/board`, { waitUntil: 'networkidle0' });
    await page.waitForSelector('#notice[data-kind="auth"]:not([hidden])', { timeout: WAIT });
    const text = await page.$eval('#notice', (n) => n.textContent);
    if (!/requires authentication|refused/.test(text)) throw new Error(`notice says: ${text}`);
    await screenshot(page, 'board-production-signed-out');
  });
  await check('in production with an operator key it shows every invitation', async () => {
    await page.type('#token', prodKey);
    await page.click('#token-form button[type="submit"]');
    await waitConnection(page, 'live');
    await page.waitForSelector('tr[data-id]', { timeout: WAIT });
    const hidden = await page.$eval('#notice', (n) => n.hidden);
    if (!hidden) throw new Error('the sign-in notice is still shown');
  });
  await page.close();
}

async function plainWebSocket(page, dev) {
  await check('a plain new WebSocket(url) to /graphql/ws connects and is acknowledged', async () => {
    const outcome = await page.evaluate((url) => new Promise((resolve) => {
      const socket = new WebSocket(url);
      socket.onopen = () => socket.send(JSON.stringify({ type: 'connection_init' }));
      socket.onmessage = (e) => { resolve(`message ${e.data}`); socket.close(); };
      socket.onclose = (e) => resolve(`closed with ${e.code}`);
    }), `${dev.replace('http', 'ws')}/graphql/ws`);
    if (!outcome.includes('connection_ack')) throw new Error(outcome);
  });
}

export async function boardChecks(browser, { dev, prod, prodKey }) {
  const problems = [];
  const page = await openPage(browser, problems);
  await page.evaluateOnNewDocument(instrumentSockets);
  const inv = await liveAndResumed(page, dev);
  if (inv) await clientScoped(page, dev, inv);
  await check('the board loaded nothing from elsewhere, with no CSP violation or script error', async () => {
    // The dropped-network phase makes the browser log failed socket connections.
    noProblems(problems.filter((p) => !p.includes('WebSocket connection to') && !p.includes('favicon')));
  });
  await plainWebSocket(page, dev);
  await page.close();
  await production(browser, prod, prodKey);
}
