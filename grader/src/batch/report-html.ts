import type { Lang } from '../i18n/lang.js';
import { escapeHtml } from '../report/sanitize.js';
import { batchSay, formatNumber, type BatchMessageId } from './batch-messages.js';
import { classStats, type Bin, type CheckStats, type LabStats } from './class-stats.js';
import { formatDuration } from './progress-display.js';
import type { Cell, Gradebook } from './gradebook.js';
import type { BatchManifest } from './types.js';

/** Every piece of text that reaches the page goes through this: names, folder names and observed output come from students. */
const h = (text: string | number) => escapeHtml(String(text));

export interface ReportOptions {
  lang: Lang;
  graderVersion: string;
  generatedAt: Date;
  anonymised: boolean;
  /** Text scrubbed of names when anonymised. */
  scrub: (text: string) => string;
}

const HIST = { width: 340, height: 170, left: 30, right: 8, top: 18, bottom: 24 };

/** The SVG histogram of one lab: one bar per bin, its height proportional to the number of students, the count above it. */
function histogram(stats: LabStats, lang: Lang): string {
  const { width, height, left, right, top, bottom } = HIST;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const max = Math.max(1, ...stats.bins.map((b) => b.count));
  const step = niceStep(max);
  const band = plotW / stats.bins.length;
  const barW = Math.max(2, band * 0.78);
  const y = (count: number) => top + plotH - (count / max) * plotH;
  const parts: string[] = [];
  for (let tick = 0; tick <= max; tick += step) {
    parts.push(`<line class="grid" x1="${left}" x2="${width - right}" y1="${y(tick).toFixed(1)}" y2="${y(tick).toFixed(1)}"/>`);
    parts.push(`<text class="tick" x="${left - 5}" y="${(y(tick) + 3.5).toFixed(1)}" text-anchor="end">${tick}</text>`);
  }
  const labelEvery = stats.bins.length > 14 ? 2 : 1;
  stats.bins.forEach((bin: Bin, i) => {
    const x = left + i * band + (band - barW) / 2;
    const barH = (bin.count / max) * plotH;
    const who = bin.students.slice(0, 12).join(', ') + (bin.students.length > 12 ? ', …' : '');
    const tip = `${bin.label} / ${formatNumber(lang, stats.lab.maxScore)} : ${bin.count}${bin.count ? ` — ${who}` : ''}`;
    parts.push(
      `<rect class="bar" data-bin="${h(bin.label)}" data-count="${bin.count}" x="${x.toFixed(1)}" y="${(top + plotH - barH).toFixed(1)}" width="${barW.toFixed(1)}" height="${barH.toFixed(1)}"><title>${h(tip)}</title></rect>`,
    );
    if (bin.count > 0) parts.push(`<text class="count" x="${(x + barW / 2).toFixed(1)}" y="${(top + plotH - barH - 4).toFixed(1)}" text-anchor="middle">${bin.count}</text>`);
    if (i % labelEvery === 0) parts.push(`<text class="tick" x="${(x + barW / 2).toFixed(1)}" y="${height - 8}" text-anchor="middle">${h(bin.label)}</text>`);
  });
  parts.push(`<line class="axis" x1="${left}" x2="${width - right}" y1="${top + plotH}" y2="${top + plotH}"/>`);
  const aria = `${stats.lab.id}: ${stats.bins.map((b) => `${b.label}→${b.count}`).join(', ')}`;
  return `<svg class="histogram" data-lab="${h(stats.lab.id)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${h(aria)}">${parts.join('')}</svg>`;
}

function niceStep(max: number): number {
  const rough = max / 4;
  const pow = 10 ** Math.floor(Math.log10(Math.max(1, rough)));
  return Math.max(1, [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= rough) ?? pow * 10);
}

const SORT = '<span class="sort" aria-hidden="true">↕</span>';

const rateClass = (rate: number | null) => (rate === null ? 'none' : rate < 0.5 ? 'low' : rate < 0.8 ? 'mid' : 'high');
const percent = (rate: number | null, lang: Lang) => (rate === null ? '—' : `${formatNumber(lang, Math.round(rate * 100))} %`);

function checkBar(c: CheckStats, lang: Lang, withLab: boolean): string {
  const evaluated = c.passed + c.failed + c.skipped;
  const detail = `${c.passed}/${evaluated}${c.error ? ` · ${c.error} ⚠` : ''}`;
  const width = c.rate === null ? 0 : Math.round(c.rate * 1000) / 10;
  return `<div class="check ${rateClass(c.rate)}" data-check="${h(`${c.lab}/${c.id}`)}" data-rate="${c.rate === null ? '' : c.rate.toFixed(4)}">
  <div class="check-title">${withLab ? `<span class="pill">${h(c.lab)}</span> ` : ''}${h(c.title)} <span class="muted">· ${h(formatNumber(lang, c.points))} pt</span></div>
  <div class="track"><div class="fill" style="width:${width}%"></div></div>
  <div class="check-rate"><strong>${percent(c.rate, lang)}</strong> <span class="muted">${h(detail)}</span></div>
</div>`;
}

function scoreCell(cell: Cell, slug: string, lang: Lang): string {
  const say = (id: BatchMessageId) => batchSay(lang, id);
  if (cell.state === 'graded' || cell.state === 'error') {
    const ratio = cell.maxScore ? (cell.score ?? 0) / cell.maxScore : 0;
    const text = cell.state === 'error' ? `⚠ ${say('errorCell')}` : `${formatNumber(lang, cell.score ?? 0)}`;
    const cls = cell.state === 'error' ? 'error' : rateClass(ratio);
    const sort = cell.state === 'error' ? -1 : (cell.score ?? 0);
    return `<td class="score ${cls}" data-sort="${sort}"><a href="feedback/${h(slug)}/${h(cell.lab)}.md">${h(text)}</a></td>`;
  }
  const text = cell.state === 'pending' ? say('pendingCell') : say('notHandedIn');
  return `<td class="score none" data-sort="-2" title="${h(cell.reason ?? '')}">${h(text)}</td>`;
}

const CSS = `
:root{--bg:#f6f7f9;--card:#fff;--ink:#1d2433;--muted:#667085;--line:#e3e6eb;--accent:#2f6fdb;--low:#d64545;--mid:#e0a100;--high:#2e9e5b;--lowbg:#fde8e8;--midbg:#fff4d6;--highbg:#e3f5ea;--errbg:#f3e8ff;--err:#7c3aed}
@media (prefers-color-scheme:dark){:root{--bg:#14171d;--card:#1c2029;--ink:#e7eaf0;--muted:#98a2b3;--line:#2c3240;--lowbg:#3a1f22;--midbg:#3a321b;--highbg:#1b3326;--errbg:#2d2140}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Ubuntu,sans-serif}
main{max-width:1220px;margin:0 auto;padding:28px 24px 60px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:36px 0 6px}h3{font-size:16px;margin:0}
.muted{color:var(--muted)}.small{font-size:13px}
.banner{margin:12px 0 0;padding:10px 14px;border-left:4px solid var(--mid);background:var(--card);border-radius:6px}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:12px;margin:20px 0 8px}
.kpi{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 16px}
.kpi .value{font-size:26px;font-weight:650}.kpi.bad .value{color:var(--low)}
nav{display:flex;flex-wrap:wrap;gap:6px 16px;margin:8px 0 0;font-size:14px}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:14px;margin-top:12px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 16px}
.card .chapter{font-size:12.5px;color:var(--muted);margin:2px 0 6px}
.card .stats{font-size:13px;color:var(--muted);margin-top:4px}
svg.histogram{display:block;max-width:100%;height:auto}
svg .bar{fill:var(--accent)}svg .grid{stroke:var(--line);stroke-width:1}svg .axis{stroke:var(--muted);stroke-width:1}
svg .tick{fill:var(--muted);font-size:10.5px}svg .count{fill:var(--ink);font-size:11px;font-weight:600}
.checks{display:flex;flex-direction:column;gap:6px;margin-top:8px}
.check{display:grid;grid-template-columns:minmax(0,1fr) 240px 150px;gap:12px;align-items:center;font-size:14px}
.track{height:12px;background:var(--line);border-radius:6px;overflow:hidden}
.fill{height:100%;border-radius:6px}
.check.low .fill{background:var(--low)}.check.mid .fill{background:var(--mid)}.check.high .fill{background:var(--high)}
.pill{display:inline-block;font-size:11.5px;padding:0 6px;border-radius:8px;background:var(--line);color:var(--ink)}
table{border-collapse:collapse;width:100%;background:var(--card);border:1px solid var(--line);border-radius:10px;overflow:hidden;font-size:14px}
th,td{padding:7px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:var(--bg);font-weight:600;white-space:nowrap}
th[data-sortable]{cursor:pointer}.sort{color:var(--muted);font-size:11px;font-weight:400}
td.num,th.num{text-align:right}
td.score,th.score{text-align:center;white-space:nowrap}td{vertical-align:middle}tfoot td{background:var(--bg);font-weight:600}
td.score.low{background:var(--lowbg)}td.score.mid{background:var(--midbg)}td.score.high{background:var(--highbg)}td.score.error{background:var(--errbg)}td.score.error a{color:var(--err)}td.score.none{color:var(--muted)}
td.notes{font-size:12.5px;color:var(--muted);max-width:360px}
.lab-block{margin-top:18px}.lab-block h3{margin-bottom:4px}
input[type=search]{padding:7px 10px;border:1px solid var(--line);border-radius:8px;min-width:260px;background:var(--card);color:var(--ink);margin:6px 0 10px}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
pre{white-space:pre-wrap;margin:0}
@media print{nav,input[type=search]{display:none}body{background:#fff}}
`;

const SCRIPT = `
(function(){
  var filter=document.getElementById('filter');
  var table=document.getElementById('students');
  if(filter&&table){filter.addEventListener('input',function(){
    var q=filter.value.toLowerCase();
    Array.prototype.forEach.call(table.tBodies[0].rows,function(r){r.hidden=q!==''&&r.textContent.toLowerCase().indexOf(q)<0;});
  });}
  Array.prototype.forEach.call(document.querySelectorAll('th[data-sortable]'),function(th){
    th.addEventListener('click',function(){
      var tb=th.closest('table').tBodies[0],i=th.cellIndex,asc=th.getAttribute('data-dir')!=='asc';
      th.setAttribute('data-dir',asc?'asc':'desc');
      var rows=Array.prototype.slice.call(tb.rows);
      rows.sort(function(a,b){
        var x=a.cells[i],y=b.cells[i],xs=x.getAttribute('data-sort'),ys=y.getAttribute('data-sort');
        var c=(xs!==null&&ys!==null)?(parseFloat(xs)-parseFloat(ys)):x.textContent.localeCompare(y.textContent);
        return asc?c:-c;
      });
      rows.forEach(function(r){tb.appendChild(r);});
    });
  });
})();
`;

/**
 * report.html: one self-contained page (inline CSS, SVG and a few lines of
 * script; a Content-Security-Policy forbids loading anything, so it reads the
 * same offline, from an artifact or an e-mail). Plots are drawn as SVG here, not
 * by a script, so they show even with scripts off.
 */
export function renderReport(manifest: BatchManifest, book: Gradebook, options: ReportOptions): string {
  const { lang, scrub } = options;
  const say = (id: BatchMessageId, data?: Record<string, string | number>) => batchSay(lang, id, data);
  const stats = classStats(book);
  const when = options.generatedAt.toLocaleString(lang === 'fr' ? 'fr-FR' : 'en-GB', { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }) + ' UTC';
  const gradings = book.rows.reduce((n, r) => n + r.cells.filter((c) => c.record).length, 0);
  const errors = stats.erroring.length;
  const problems = manifest.problems.length;
  const totals = book.rows.filter((r) => r.cells.some((c) => c.state === 'graded')).map((r) => r.total);
  const meanTotal = totals.length ? totals.reduce((a, b) => a + b, 0) / totals.length : null;

  const notes: string[] = [];
  if (manifest.before) notes.push(say('beforeNote', { date: new Date(manifest.before).toLocaleString(lang === 'fr' ? 'fr-FR' : 'en-GB', { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }) + ' UTC' }));
  if (manifest.shard) notes.push(say('shardNote', { index: manifest.shard.index, count: manifest.shard.count }));
  if (!manifest.complete) notes.push(say('incomplete'));

  const kpi = (label: string, value: string, bad = false) => `<div class="kpi${bad ? ' bad' : ''}"><div class="muted small">${h(label)}</div><div class="value">${h(value)}</div></div>`;
  const labCards = stats.labs.map((s) => `<div class="card lab-card" data-lab="${h(s.lab.id)}">
  <h3>${h(s.lab.id)} — ${h(s.lab.title[lang])}</h3>
  ${s.lab.chapter ? `<div class="chapter">${h(s.lab.chapter)}</div>` : ''}
  ${histogram(s, lang)}
  <div class="stats">${h(say('gradedOf', { n: s.graded }))} · ${h(say('averageLabel'))} ${s.mean === null ? '—' : h(`${formatNumber(lang, s.mean)} / ${formatNumber(lang, s.lab.maxScore)}`)} · ${h(say('medianLabel'))} ${s.median === null ? '—' : h(formatNumber(lang, s.median))}${s.errors ? ` · ⚠ ${s.errors} ${h(say('errorCell'))}` : ''}${s.missing ? ` · ${h(s.missing === 1 ? say('notHandedInOne') : say('notHandedInCount', { n: s.missing }))}` : ''}</div>
</div>`);

  const evaluated = stats.checks.filter((c) => c.rate !== null);
  const mostMissed = [...evaluated].sort((a, b) => a.rate! - b.rate! || b.points - a.points).slice(0, 8);
  const perLab = stats.labs.map((s) => {
    const checks = stats.checks.filter((c) => c.lab === s.lab.id).sort((a, b) => (a.rate ?? 2) - (b.rate ?? 2));
    return `<div class="lab-block"><h3>${h(s.lab.id)} — ${h(s.lab.title[lang])}</h3>${s.lab.chapter ? `<div class="muted small">${h(s.lab.chapter)}</div>` : ''}<div class="checks">${checks.map((c) => checkBar(c, lang, false)).join('\n')}</div></div>`;
  });

  const errorRows = stats.erroring.map((e) => `<tr><td><a href="feedback/${h(e.slug)}/${h(e.lab)}.md">${h(e.student)}</a></td><td>${h(e.lab)}</td><td>${h(e.errorChecks.join(', '))}</td><td class="num">${e.attempts}</td><td><pre>${h(scrub(e.reason ?? ''))}</pre></td></tr>`);
  const slowRows = stats.slowest.map((e) => `<tr><td><a href="feedback/${h(e.slug)}/${h(e.lab)}.md">${h(e.student)}</a></td><td>${h(e.lab)}</td><td class="num" data-sort="${e.durationMs}">${h(formatDuration(e.durationMs))}</td><td class="num">${h(`${formatNumber(lang, e.score)} / ${formatNumber(lang, e.maxScore)}`)}</td></tr>`);
  const problemRows = manifest.problems.map((p) => `<tr><td>${h(p.student ? (book.rows.find((r) => r.identity.key === p.student)?.display ?? scrub(p.student)) : '—')}</td><td><code>${h(scrub(p.where))}</code></td><td>${h(p.kind)}</td><td>${h(scrub(p.message))}</td></tr>`);

  // A name column only when a roster gave names (and they may be shown).
  const withNames = !options.anonymised && book.rows.some((r) => r.identity.name);
  const studentRows = book.rows.map((row) => {
    const name = withNames ? `<td>${h(row.identity.name ?? '')}</td>` : '';
    return `<tr data-student="${h(row.display)}"><td><a href="feedback/${h(row.slug)}/README.md">${h(row.display)}</a></td>${name}${row.cells.map((c) => scoreCell(c, row.slug, lang)).join('')}<td class="num" data-sort="${row.total}"><strong>${h(formatNumber(lang, row.total))}</strong></td><td class="notes">${h(scrub(row.notes.join(' · ')))}</td></tr>`;
  });

  const section = (id: string, title: string, why: string | null, body: string) => `<section id="${id}"><h2>${h(title)}</h2>${why ? `<p class="muted small">${h(why)}</p>` : ''}${body}</section>`;
  const table = (heads: string[], rows: string[], empty: string) => (rows.length ? `<table><thead><tr>${heads.join('')}</tr></thead><tbody>${rows.join('\n')}</tbody></table>` : `<p class="muted">${h(empty)}</p>`);

  return `<!DOCTYPE html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dockerlab — ${h(say('reportTitle'))}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header>
<h1>dockerlab — ${h(say('reportTitle'))}</h1>
<div class="muted">${h(say('generated', { date: when, version: options.graderVersion }))}</div>
${notes.length ? `<div class="banner">${notes.map((n) => `<div>${h(n)}</div>`).join('')}</div>` : ''}
<div class="kpis">
${kpi(say('students'), String(book.rows.length))}
${kpi(say('gradings'), String(gradings))}
${kpi(say('averageLabel'), meanTotal === null ? '—' : `${formatNumber(lang, Math.round(meanTotal * 10) / 10)} / ${formatNumber(lang, book.maxTotal)}`)}
${kpi(say('errorsCount'), String(errors), errors > 0)}
${kpi(say('problemsCount'), String(problems), problems > 0)}
</div>
<nav><a href="#distribution">${h(say('distribution'))}</a><a href="#missed">${h(say('passRates'))}</a><a href="#errors">${h(say('erroring'))}</a><a href="#slowest">${h(say('slowest'))}</a><a href="#problems">${h(say('problemsTitle'))}</a><a href="#identical">${h(say('identical'))}</a><a href="#student-list">${h(say('studentsTable'))}</a></nav>
</header>
${section('distribution', say('distribution'), say('distributionWhy'), `<div class="cards">${labCards.join('\n')}</div>`)}
${section('missed', say('passRates'), say('passRatesWhy'), `<div class="card"><h3>${h(say('mostMissed'))}</h3><div class="checks">${mostMissed.map((c) => checkBar(c, lang, true)).join('\n')}</div></div>${perLab.join('\n')}`)}
${section('errors', say('erroring'), null, table([`<th>${h(say('student'))}</th>`, `<th>${h(say('lab'))}</th>`, `<th>${h(say('check'))}</th>`, '<th class="num">×</th>', `<th>${h(say('message'))}</th>`], errorRows, say('erroringNone')))}
${section('slowest', say('slowest'), null, table([`<th>${h(say('student'))}</th>`, `<th>${h(say('lab'))}</th>`, `<th class="num">${h(say('duration'))}</th>`, `<th class="num">${h(say('score'))}</th>`], slowRows, say('nobody')))}
${section('problems', say('problemsTitle'), null, table([`<th>${h(say('student'))}</th>`, `<th>${h(say('where'))}</th>`, `<th>${h(say('kindColumn'))}</th>`, `<th>${h(say('what'))}</th>`], problemRows, say('problemsNone')))}
${section('identical', say('identical'), say('identicalWhy'), stats.identical.length ? `<ul>${stats.identical.map((g) => `<li><span class="pill">${h(g.lab)}</span> ${h(g.students.join(', '))}</li>`).join('')}</ul>` : `<p class="muted">${h(say('nobody'))}</p>`)}
<section id="student-list"><h2>${h(say('studentsTable'))}</h2>
<input type="search" id="filter" placeholder="${h(say('filter'))}" aria-label="${h(say('filter'))}">
<table id="students"><thead><tr><th data-sortable>${h(say('student'))} ${SORT}</th>${withNames ? `<th data-sortable>${h(say('nameColumn'))} ${SORT}</th>` : ''}${book.labs.map((l) => `<th class="score" data-sortable title="${h(l.title[lang])}">${h(l.id)} ${SORT}<div class="muted small">/ ${h(formatNumber(lang, l.maxScore))}</div></th>`).join('')}<th class="num" data-sortable>${h(say('total'))} ${SORT}<div class="muted small">/ ${h(formatNumber(lang, book.maxTotal))}</div></th><th>${h(say('notesColumn'))}</th></tr></thead>
<tbody>${studentRows.join('\n')}</tbody>
<tfoot><tr><td>${h(say('averageLabel'))}</td>${withNames ? '<td></td>' : ''}${stats.labs.map((l) => `<td class="score">${l.mean === null ? '—' : h(formatNumber(lang, l.mean))}</td>`).join('')}<td class="num">${meanTotal === null ? '—' : h(formatNumber(lang, Math.round(meanTotal * 10) / 10))}</td><td></td></tr></tfoot></table>
</section>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
