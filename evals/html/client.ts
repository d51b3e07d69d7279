import type { Card } from '../../src/agent/types.js';
import type { Locale } from '../../src/i18n/locales.js';
import { renderCard } from '../../src/web/widget/cards.js';
import { h } from '../../src/web/widget/dom.js';
import { t, useMessages, type WidgetMessages } from '../../src/web/widget/i18n.js';
import { renderMarkdown } from '../../src/web/widget/markdown.js';
import WIDGET_CSS from '../../src/web/widget/styles.css';

/**
 * The script of the HTML eval report (evals/html-report.ts bundles it with esbuild and inlines
 * it). It draws each turn as the widget draws it (the widget's own card, markdown and lookup code
 * and stylesheet, in a shadow root per turn so the report's styles and the widget's never meet),
 * and runs the filters. Everything it shows comes from the JSON data block and goes in as text.
 */

/** The data block the report writes (see `ClientData` in evals/html-report.ts). */
interface TurnView {
  locale: Locale;
  kind: 'user' | 'approve' | 'decline';
  user: string;
  reply: string;
  cards: Card[];
}
interface ClientData {
  messages: Partial<Record<Locale, WidgetMessages>>;
  turns: TurnView[];
}

const data = JSON.parse(document.getElementById('report-data')?.textContent ?? '{}') as ClientData;

/**
 * The widget's sheet, and what differs in the report: the widget's root is a fixed overlay and
 * its host has no size; here a turn is drawn in place, at the panel's width.
 */
const sheets = (() => {
  const widget = new CSSStyleSheet();
  widget.replaceSync(WIDGET_CSS);
  const inPlace = new CSSStyleSheet();
  inPlace.replaceSync(
    ':host { display: block !important; width: auto !important; height: auto !important; }' +
      '.root { position: static; width: auto; height: auto; transform: none; padding: 0; z-index: auto; display: block; pointer-events: auto; }' +
      '.log { overflow: visible; border-radius: 12px; border: 1px solid var(--line); }',
  );
  return [widget, inPlace];
})();

/** One turn as the widget shows it: the user's message (or the decision taken) and the answer with its cards. */
function drawTurn(host: HTMLElement): void {
  const turn = data.turns[Number(host.dataset['turn'])];
  if (!turn || host.shadowRoot) return;
  const messages = data.messages[turn.locale];
  if (messages) useMessages(turn.locale, messages);
  const root = host.attachShadow({ mode: 'open' });
  root.adoptedStyleSheets = sheets;
  const asked =
    turn.kind === 'user'
      ? h('div', { class: 'msg msg-user', attrs: { 'data-role': 'user' } }, h('div', { class: 'bubble', text: turn.user }))
      : h('p', { class: 'note', attrs: { 'data-role': 'decision' }, text: `→ ${t(turn.kind === 'approve' ? 'widget.confirm.approve' : 'widget.confirm.decline')}` });
  const cards = h('div', { class: 'cards' });
  for (const card of turn.cards) {
    // The links point at the eval run's server, which is gone: the report only shows where they went.
    const el = renderCard(card, 'http://evals.invalid/');
    if (el) cards.append(el);
  }
  for (const a of cards.querySelectorAll('a[href]')) {
    a.setAttribute('title', a.getAttribute('href') ?? '');
    a.removeAttribute('href');
  }
  const answer = h('div', { class: 'msg msg-assistant', attrs: { 'data-role': 'assistant' } }, h('div', { class: 'bubble md' }, ...renderMarkdown(turn.reply)), cards);
  root.append(h('div', { class: 'root' }, h('div', { class: 'log' }, asked, answer)));
}

/** Draws the turns inside `scope` that are on show (a closed case is drawn when it opens). */
function drawOpen(scope: ParentNode): void {
  for (const host of scope.querySelectorAll<HTMLElement>('.widget-view[data-turn]')) {
    if (!host.closest('details:not([open])')) drawTurn(host);
  }
}

const $ = <T extends Element>(sel: string): T | null => document.querySelector<T>(sel);

/** The run on show: a matrix report has one per combination, the picker chooses. */
function currentRun(): HTMLElement | null {
  return $<HTMLElement>('.run:not([hidden])');
}

function applyFilters(): void {
  const run = currentRun();
  if (!run) return;
  const failing = $<HTMLInputElement>('#filter-failing')?.checked ?? false;
  const regressed = $<HTMLInputElement>('#filter-regressed')?.checked ?? false;
  const tag = $<HTMLSelectElement>('#filter-tag')?.value ?? '';
  const text = ($<HTMLInputElement>('#filter-text')?.value ?? '').trim().toLowerCase();
  const cases = run.querySelectorAll<HTMLElement>('article.case');
  let shown = 0;
  for (const c of cases) {
    const tags = JSON.parse(c.dataset['tags'] ?? '[]') as string[];
    const show =
      (!failing || c.dataset['passed'] === 'false') &&
      (!regressed || c.dataset['baseline'] === 'regressed') &&
      (!tag || tags.includes(tag)) &&
      (!text || (c.dataset['id'] ?? '').toLowerCase().includes(text));
    c.hidden = !show;
    if (show) shown++;
  }
  const count = $<HTMLElement>('#filter-count');
  if (count) count.textContent = `${shown} of ${cases.length} cases shown`;
  const none = run.querySelector<HTMLElement>('.no-match');
  if (none) none.hidden = shown > 0;
}

function init(): void {
  for (const id of ['#filter-failing', '#filter-regressed', '#filter-tag']) $(id)?.addEventListener('change', applyFilters);
  $('#filter-text')?.addEventListener('input', applyFilters);
  // The per-tag tables: a tag's button filters the cases by it.
  document.addEventListener('click', (e) => {
    const button = (e.target as Element | null)?.closest<HTMLElement>('button[data-tag]');
    const select = $<HTMLSelectElement>('#filter-tag');
    if (!button || !select) return;
    select.value = button.dataset['tag'] ?? '';
    applyFilters();
    $('#cases')?.scrollIntoView();
  });
  // A matrix report: which combination's cases are on show.
  $<HTMLSelectElement>('#run-picker')?.addEventListener('change', (e) => {
    const pick = (e.target as HTMLSelectElement).value;
    for (const run of document.querySelectorAll<HTMLElement>('.run')) run.hidden = run.dataset['run'] !== pick;
    applyFilters();
    const run = currentRun();
    if (run) drawOpen(run);
  });
  // A case (or trial) opened: draw its turns.
  document.addEventListener('toggle', (e) => {
    const d = e.target as HTMLDetailsElement;
    if (d.open) drawOpen(d);
  }, true);
  // A link to a case (the baseline lists, the matrix grid) opens it.
  const openTarget = (): void => {
    const target = location.hash ? document.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
    const run = target?.closest<HTMLElement>('.run');
    const picker = $<HTMLSelectElement>('#run-picker');
    if (run?.hidden && picker) {
      picker.value = run.dataset['run'] ?? '';
      picker.dispatchEvent(new Event('change'));
    }
    const details = target?.querySelector('details');
    if (details) details.open = true;
    target?.scrollIntoView();
  };
  window.addEventListener('hashchange', openTarget);
  openTarget();
  applyFilters();
  const run = currentRun();
  if (run) drawOpen(run);
  document.documentElement.dataset['ready'] = 'true';
}

init();
