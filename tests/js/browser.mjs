// The browser test, run by tests/api/browser.rs (`cargo test`): headless Chromium,
// every non-loopback request aborted, against two running bspgraph apps.
//
//   BSPGRAPH_URL        a dev-mode app (sandbox control on)
//   BSPGRAPH_PROD_URL   a production app with GraphiQL enabled and seeded clients
//   BSPGRAPH_PROD_KEY   an operator API key of the production app
//   CHROMIUM            the browser executable
//   SCREENSHOT_DIR      where screenshots go (their paths are printed)
//
// Prints `ok`/`FAIL`/`PENDING` per check and exits 1 when any check failed.
import puppeteer from 'puppeteer-core';
import { boardChecks } from './browser-board.mjs';
import { check, env, gql, instrumentSockets, noProblems, openPage, results, screenshot, WAIT } from './browser-support.mjs';

const dev = env('BSPGRAPH_URL');
const prod = env('BSPGRAPH_PROD_URL');
const prodKey = env('BSPGRAPH_PROD_KEY');

/** The text of a GraphiQL CodeMirror editor (the response pane, or an input editor). */
const editorText = (page, selector) =>
  page.$eval(selector, (el) => el.querySelector('.CodeMirror').CodeMirror.getValue());

/** Put a named operation in the query editor and run it once GraphiQL has parsed it
 *  (its tab then carries the operation's name). */
async function runOperation(page, text) {
  const name = /^\s*(?:query|mutation|subscription)\s+(\w+)/.exec(text)[1];
  await page.$eval('.graphiql-query-editor', (el, t) => el.querySelector('.CodeMirror').CodeMirror.setValue(t), text);
  await page.waitForFunction((n) => [...document.querySelectorAll('.graphiql-tab')].some((t) => t.textContent.includes(n)),
    { timeout: WAIT }, name);
  await page.click('button[aria-label="Execute query (Ctrl-Enter)"]');
}

async function graphiqlChecks(browser) {
  const problems = [];
  const page = await openPage(browser, problems);
  const marker = `GraphiQL check ${Date.now()}`;
  await gql(dev, 'mutation($i: ClientInput!) { createClient(input: $i) { client { id } } }', { i: { name: marker } });

  await check('GraphiQL renders from the binary with every other host blocked', async () => {
    await page.goto(`${dev}/`, { waitUntil: 'networkidle0' });
    await page.waitForSelector('.graphiql-container', { timeout: WAIT });
    await page.waitForSelector('.graphiql-query-editor .CodeMirror', { timeout: WAIT });
    const query = await editorText(page, '.graphiql-query-editor');
    if (!query.includes('query Onboarding')) throw new Error(`default query missing: ${query.slice(0, 80)}`);
  });

  await check('the Docs explorer lists Query (introspection passes the limits)', async () => {
    await page.click('button[aria-label="Show Documentation Explorer"]');
    await page.waitForSelector('.graphiql-doc-explorer', { timeout: WAIT });
    try {
      await page.waitForFunction(() => {
        const docs = document.querySelector('.graphiql-doc-explorer');
        return docs && [...docs.querySelectorAll('a')].some((a) => a.textContent.trim() === 'Query');
      }, { timeout: WAIT });
    } catch {
      const text = await page.$eval('.graphiql-doc-explorer', (d) => d.innerText.replace(/\s+/g, ' ').slice(0, 200));
      throw new Error(`the Docs explorer shows no Query type; it says: "${text}"`);
    }
    await screenshot(page, 'graphiql-docs');
  });

  await check('the default query runs and shows the onboarding data', async () => {
    await page.click('button[aria-label="Execute query (Ctrl-Enter)"]');
    await page.waitForFunction((m) => {
      const cm = document.querySelector('.graphiql-response .CodeMirror');
      return cm && cm.CodeMirror.getValue().includes(m);
    }, { timeout: WAIT }, marker);
    const result = JSON.parse(await editorText(page, '.graphiql-response'));
    if (!result.data || !result.data.providers || result.data.providers.length !== 3) {
      throw new Error(`unexpected result: ${JSON.stringify(result).slice(0, 200)}`);
    }
    await screenshot(page, 'graphiql-result');
  });

  await check('GraphiQL loaded nothing from elsewhere, with no CSP violation or script error', async () => {
    noProblems(problems.filter((p) => !p.includes('favicon')));
  });
  await page.close();
}

/** Set the Headers tab of GraphiQL to an Authorization header. */
async function setAuthorization(page, token) {
  await page.evaluate(() => {
    const tab = [...document.querySelectorAll('.graphiql-editor-tools button')].find((b) => b.textContent.trim() === 'Headers');
    if (!tab) throw new Error('no Headers tab');
    tab.click();
  });
  const headers = await page.waitForSelector(
    'section.graphiql-editor-tool[aria-label="Headers"] .graphiql-editor:not(.hidden) .CodeMirror');
  await headers.evaluate((cm, t) => cm.CodeMirror.setValue(`{ "authorization": "Bearer ${t}" }`), token);
}

const responseIncludes = (page, text, timeout = WAIT) => page.waitForFunction((t) => {
  const cm = document.querySelector('.graphiql-response .CodeMirror');
  return cm && cm.CodeMirror.getValue().includes(t);
}, { timeout }, text).catch(async () => {
  const pane = await editorText(page, '.graphiql-response').catch(() => '(no response pane)');
  throw new Error(`the response pane never showed ${text}; it shows: ${pane.slice(0, 300)}`);
});

const START = 'mutation($input: StartOnboardingInput!) { startOnboarding(input: $input) { invitation { id client { id name } } } }';

/** The Headers tab's Authorization reaches queries (production) and the subscription
 *  socket's connection_init (dev: the client token there narrows the events to its client). */
async function authorizationChecks(browser) {
  const page = await openPage(browser, []);
  await page.evaluateOnNewDocument(instrumentSockets);
  await check('the Authorization header from the Headers tab goes with queries', async () => {
    await page.goto(`${prod}/`, { waitUntil: 'networkidle0' });
    await page.waitForSelector('.graphiql-query-editor .CodeMirror');
    // (Production refuses the schema fetch without a key: that error is expected here.)
    await runOperation(page, 'query ClientCount { clients(first: 5) { totalCount } }');
    await responseIncludes(page, 'UNAUTHENTICATED');
    await setAuthorization(page, prodKey);
    await runOperation(page, 'query ClientTotal { clients(first: 5) { totalCount } }');
    await responseIncludes(page, 'totalCount');
  });

  await check('…and in connection_init of the subscription socket', async () => {
    const mine = (await gql(dev, START, { input: { provider: 'ZAVU', client: { name: `Socket Co ${Date.now()}` } } }))
      .startOnboarding.invitation.client;
    const token = (await gql(dev, 'mutation($id: ID!) { issueClientToken(clientId: $id) { token } }', { id: mine.id }))
      .issueClientToken.token;
    await page.goto(`${dev}/`, { waitUntil: 'networkidle0' });
    await page.waitForSelector('.graphiql-query-editor .CodeMirror');
    const follow = 'subscription Mine { statusChanged { status node { ... on Invitation { client { name } } } } }';
    await setAuthorization(page, token);
    await runOperation(page, follow);
    const init = await page.waitForFunction(() => window.__ws.sent.find((m) => m.type === 'connection_init'));
    const payload = (await init.jsonValue()).payload || {};
    if (payload.Authorization !== `Bearer ${token}`) throw new Error(`connection_init payload: ${JSON.stringify(payload)}`);
    // No event replays without `after`: make them until one arrives on the open socket.
    let seen = false;
    for (let attempt = 0; attempt < 40 && !seen; attempt += 1) {
      await gql(dev, START, { input: { provider: 'SENDZEN', client: { name: `Not theirs ${attempt}` } } });
      await gql(dev, START, { input: { provider: 'SENDZEN', clientId: mine.id } });
      seen = await responseIncludes(page, mine.name, 1000).then(() => true, () => false);
    }
    const pane = await editorText(page, '.graphiql-response');
    if (!seen || pane.includes('Not theirs')) throw new Error(`the response pane shows: ${pane.slice(0, 200)}`);
    await screenshot(page, 'graphiql-subscription');
  });
  await page.close();
}

const browser = await puppeteer.launch({
  executablePath: env('CHROMIUM'),
  args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
try {
  await graphiqlChecks(browser);
  await authorizationChecks(browser);
  await boardChecks(browser, { dev, prod, prodKey });
} finally {
  await browser.close();
}
console.log(`browser checks: ${results.passed} ok, ${results.failed} failed`);
process.exit(results.failed ? 1 : 0);
