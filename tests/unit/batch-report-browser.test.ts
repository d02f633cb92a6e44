import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Browser, Page } from 'playwright-core';
import { runBatchCommand } from '../../grader/src/batch/index.js';
import { FakeGrader, FIXTURE_LABS, removeDir, Sink, tempDir, writeDirectLayout } from '../fixtures/batch/fake-class.js';
import { ROOT } from '../helpers/submissions.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
/** Where the test leaves its screenshot, for a person to look at. */
const SCREENSHOT = path.join(ROOT, '.dockerlab', 'batch-report.png');

/** Debian's chromium, installed when missing (as the project's machines allow: root, Debian's mirror); the reason when it cannot be. */
function ensureChromium(): string | null {
  if (existsSync(CHROMIUM)) return null;
  try {
    execFileSync('apt-get', ['update'], { stdio: 'ignore', timeout: 180_000 });
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { stdio: 'ignore', timeout: 600_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  } catch (error) {
    return `chromium is not installed and \`apt-get install -y chromium\` failed (${(error as Error).message.split('\n')[0]})`;
  }
  return existsSync(CHROMIUM) ? null : `apt-get installed chromium but ${CHROMIUM} does not exist`;
}

const missing = ensureChromium();
if (missing) process.stderr.write(`SKIPPED batch-report-browser: ${missing}\n`);
const describeInBrowser = missing ? describe.skip : describe;

/** lab-03 (out of 10) and lab-04 (out of 5): the answers that give each score with the fixture labs. */
const LAB03: Record<number, string[]> = { 2: ['builds'], 5: ['builds', 'non-root-user'], 6: ['builds', 'http-ok'], 9: ['builds', 'non-root-user', 'http-ok'], 10: ['builds', 'non-root-user', 'exec-form', 'http-ok'] };
const LAB04: Record<number, string[]> = { 0: [], 2: ['builds'], 5: ['builds', 'serves-8080'] };
/** The class: per student, their lab-03 and lab-04 scores. */
const CLASS: [string, number, number | null][] = [
  ['ana', 10, 5], ['ben', 10, 5], ['chloe', 2, 0], ['dan', 5, 2], ['eve', 10, 2], ['fred', 2, 2],
  ['gus', 9, 5], ['hana', 10, null], ['ivan', 2, 0], ['jade', 6, 2], ['<b>kim', 9, 2],
];

describeInBrowser('report.html in a real browser', () => {
  let root: string;
  let out: string;
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    root = tempDir('hbat-browser-');
    out = path.join(root, 'out');
    CLASS.forEach(([name, lab03, lab04], i) => {
      writeDirectLayout(path.join(root, 'class', name), {
        'lab-03': [...LAB03[lab03]!, `#duration=${1000 * (i + 1)}`, `v${i}`],
        ...(lab04 === null ? {} : { 'lab-04': [...LAB04[lab04]!, `v${i}`] }),
      });
    });
    const io = { stdout: new Sink(), stderr: new Sink(), env: {}, signal: new AbortController().signal, cwd: root };
    await runBatchCommand([path.join(root, 'class'), '--out', out, '--labs-dir', FIXTURE_LABS, '--labs', 'lab-03,lab-04', '--lang', 'fr', '--quiet'], io, { grader: new FakeGrader() });

    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    const context = await browser.newContext({ offline: true, viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
    page = await context.newPage();
    // Nothing may leave the file: every request other than the page itself is recorded and refused.
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url === `file://${path.join(out, 'report.html')}`) return route.continue();
      requests.push(url);
      return route.abort();
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('dialog', (d) => {
      errors.push(`a dialog opened: ${d.message()}`);
      void d.dismiss();
    });
    await page.goto(`file://${path.join(out, 'report.html')}`, { waitUntil: 'load' });
  });

  afterAll(async () => {
    await browser?.close();
    removeDir(root);
  });

  it('opens with the network blocked: no request, no error, student markup shown as text', async () => {
    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
    expect(await page.title()).toBe('dockerlab — Rapport de classe');
    expect(await page.locator('tr[data-student="<b>kim"] td').first().textContent()).toBe('<b>kim');
    expect(await page.locator('main b').count()).toBe(0);
  });

  it('draws one bar per possible score, as many and as high as the gradebook says (read in the DOM)', async () => {
    const book = parse(readFileSync(path.join(out, 'gradebook.csv'), 'utf8'), { bom: true, columns: true }) as Record<string, string>[];
    for (const [lab, max] of [['lab-03', 10], ['lab-04', 5]] as const) {
      const expected = Array.from({ length: max + 1 }, (_, score) => book.filter((r) => r.student !== 'points possible' && r[lab] === String(score)).length);
      const bars = await page.locator(`svg.histogram[data-lab="${lab}"] rect.bar`).evaluateAll((rects) =>
        rects.map((r) => ({ count: Number(r.getAttribute('data-count')), height: r.getBoundingClientRect().height })));
      expect(bars.map((b) => b.count)).toEqual(expected);
      const tallest = Math.max(...bars.map((b) => b.height));
      const most = Math.max(...expected);
      expect(tallest).toBeGreaterThan(60);
      for (const [i, bar] of bars.entries()) expect(Math.abs(bar.height - (tallest * expected[i]!) / most)).toBeLessThan(1);
    }
  });

  it('a screenshot of a histogram shows the bars the data says: their number and their heights (read in the pixels)', async () => {
    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    writeFileSync(SCREENSHOT, await page.screenshot({ fullPage: true }));
    const png = await page.locator('svg.histogram[data-lab="lab-03"]').screenshot();
    const counts = await page.locator('svg.histogram[data-lab="lab-03"] rect.bar').evaluateAll((rects) => rects.map((r) => Number(r.getAttribute('data-count'))));
    const columns = await barColumns(png);
    // Runs of columns holding the bar colour: one per bar that has students.
    const runs: { start: number; end: number; height: number }[] = [];
    columns.forEach((height, x) => {
      if (height === 0) return;
      const last = runs[runs.length - 1];
      if (last && last.end === x - 1) {
        last.end = x;
        last.height = Math.max(last.height, height);
      } else runs.push({ start: x, end: x, height });
    });
    const nonZero = counts.filter((c) => c > 0);
    expect(runs).toHaveLength(nonZero.length);
    const tallest = Math.max(...runs.map((r) => r.height));
    runs.forEach((run, i) => expect(Math.abs(run.height - (tallest * nonZero[i]!) / Math.max(...nonZero))).toBeLessThanOrEqual(2));
  });

  it('the pass-rate bars are as long as each check’s pass rate, most missed first', async () => {
    const checks = await page.locator('.lab-block').first().locator('.check').evaluateAll((rows) =>
      rows.map((r) => ({
        rate: Number(r.getAttribute('data-rate')),
        fill: r.querySelector('.fill')!.getBoundingClientRect().width,
        track: r.querySelector('.track')!.getBoundingClientRect().width,
      })));
    expect(checks.length).toBe(4);
    for (const c of checks) expect(Math.abs(c.fill / c.track - c.rate)).toBeLessThan(0.01);
    const rates = checks.map((c) => c.rate);
    expect(rates).toEqual([...rates].sort((a, b) => a - b));
    // builds passed for everyone: 11/11.
    expect(rates[rates.length - 1]).toBe(1);
  });

  it('lists every student, links to their feedback, and sorts by total on a click', async () => {
    const rows = page.locator('#students tbody tr');
    expect(await rows.count()).toBe(CLASS.length);
    const hrefs = await page.locator('#students tbody a').evaluateAll((as) => as.map((a) => a.getAttribute('href')!));
    for (const href of hrefs) expect(existsSync(path.join(out, decodeURIComponent(href)))).toBe(true);
    const totalHeader = page.locator('#students thead th', { hasText: 'Total' });
    await totalHeader.click();
    const ascending = await page.locator('#students tbody tr td.num').evaluateAll((tds) => tds.map((td) => Number(td.getAttribute('data-sort'))));
    expect(ascending).toEqual([...ascending].sort((a, b) => a - b));
    await totalHeader.click();
    const descending = await page.locator('#students tbody tr td.num').evaluateAll((tds) => tds.map((td) => Number(td.getAttribute('data-sort'))));
    expect(descending).toEqual([...ascending].reverse());
    await page.fill('#filter', 'chloe');
    expect(await page.locator('#students tbody tr:not([hidden])').count()).toBe(1);
  });

  /** For each pixel column of a PNG, how many pixels have the bars' colour: decoded by the browser itself, in a blank page. */
  async function barColumns(png: Buffer): Promise<number[]> {
    const blank = await browser.newPage();
    try {
      // Written as page code (this project's TypeScript has no DOM types): decode the PNG in a canvas, count per column.
      const decode = `(async () => {
        const img = new Image();
        img.src = ${JSON.stringify(`data:image/png;base64,${png.toString('base64')}`)};
        await img.decode();
        const canvas = document.createElement('canvas');
        canvas.width = img.width;
        canvas.height = img.height;
        const ctx = canvas.getContext('2d');
        ctx.drawImage(img, 0, 0);
        const data = ctx.getImageData(0, 0, img.width, img.height).data;
        const cols = [];
        for (let x = 0; x < img.width; x++) {
          let n = 0;
          for (let y = 0; y < img.height; y++) {
            const i = (y * img.width + x) * 4;
            // The bars' colour, #2f6fdb, give or take anti-aliasing.
            if (Math.abs(data[i] - 0x2f) < 24 && Math.abs(data[i + 1] - 0x6f) < 24 && Math.abs(data[i + 2] - 0xdb) < 24) n++;
          }
          cols.push(n);
        }
        return cols;
      })()`;
      return (await blank.evaluate(decode)) as number[];
    } finally {
      await blank.close();
    }
  }
});
