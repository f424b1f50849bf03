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
import { check, env, gql, noProblems, openPage, results, screenshot, WAIT } from './browser-support.mjs';

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

async function productionGraphiqlChecks(browser) {
  const problems = [];
  const page = await openPage(browser, problems);
  await page.goto(`${prod}/`, { waitUntil: 'networkidle0' });
  await page.waitForSelector('.graphiql-query-editor .CodeMirror', { timeout: WAIT });
  // (Production refuses the schema fetch without a key: its errors are expected here.)

  await check('the Authorization header from the Headers tab goes with queries', async () => {
    await page.evaluate(() => {
      const tab = [...document.querySelectorAll('.graphiql-editor-tools button')].find((b) => b.textContent.trim() === 'Headers');
      if (!tab) throw new Error('no Headers tab');
      tab.click();
    });
    const headers = await page.waitForSelector(
      'section.graphiql-editor-tool[aria-label="Headers"] .graphiql-editor:not(.hidden) .CodeMirror', { timeout: WAIT });
    await headers.evaluate((cm, key) => cm.CodeMirror.setValue(`{ "authorization": "Bearer ${key}" }`), prodKey);
    await runOperation(page, 'query ClientCount { clients(first: 5) { totalCount } }');
    await page.waitForFunction(() => {
      const cm = document.querySelector('.graphiql-response .CodeMirror');
      return cm && cm.CodeMirror.getValue().includes('totalCount');
    }, { timeout: WAIT });
  });

  await check('…and in connection_init of the subscription socket', async () => {
    await runOperation(page, 'subscription Changes { statusChanged { status node { __typename } } }');
    // No event replays without `after`; make one once the socket is up.
    let seen = false;
    for (let attempt = 0; attempt < 40 && !seen; attempt += 1) {
      const data = await gql(prod, 'mutation { startOnboarding(input: { provider: ZAVU, client: { name: "GraphiQL socket" } }) { invitation { id } } }', {}, prodKey);
      if (!data.startOnboarding.invitation) throw new Error('startOnboarding refused');
      seen = await page.waitForFunction(() => {
        const cm = document.querySelector('.graphiql-response .CodeMirror');
        return cm && cm.CodeMirror.getValue().includes('"PENDING"');
      }, { timeout: 1000 }).then(() => true, () => false);
    }
    if (!seen) throw new Error(`no event in the response pane: ${(await editorText(page, '.graphiql-response')).slice(0, 200)}`);
    await screenshot(page, 'graphiql-production-subscription');
  });
  await page.close();
}

const browser = await puppeteer.launch({
  executablePath: env('CHROMIUM'),
  args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
try {
  await graphiqlChecks(browser);
  await productionGraphiqlChecks(browser);
  await boardChecks(browser, { dev, prod, prodKey });
} finally {
  await browser.close();
}
console.log(`browser checks: ${results.passed} ok, ${results.failed} failed, ${results.pending} pending`);
process.exit(results.failed ? 1 : 0);
