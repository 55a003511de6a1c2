// An account's full history: pages of 50 loaded as the end of the list
// scrolls into view (or by button), a date range asked of the server, a text
// search over what is loaded, and a CSV of exactly what is shown.

import { h, mount } from '../dom.js';
import { get, query } from '../api.js';
import { describe } from '../messages.js';
import { formatMoney, toDecimal, exponent } from '../money.js';
import { dayKey, parseDayKey, addDays } from '../dates.js';
import { statementCsv, download } from '../csv.js';
import { field } from './form.js';
import { alertBox } from './feedback.js';
import { icon } from './icons.js';
import { txList, counterpartyLabel } from './txlist.js';

const PAGE = 50;

function haystack(t, accountsByNumber) {
  return [t.description, t.counterparty.name, t.counterparty.account_number, counterpartyLabel(t, accountsByNumber),
    formatMoney(t.amount, t.currency), toDecimal(t.amount, exponent(t.currency))].join(' ').toLowerCase();
}

/** statement({account, accounts, signal}) → element */
export function statement({ account, accounts, signal }) {
  const accountsByNumber = new Map(accounts.map((a) => [a.number, a]));
  const state = { items: [], cursor: null, done: false, loading: false, generation: 0 };
  const today = dayKey(new Date());

  const from = field({ label: 'From', input: h('input', { type: 'date', name: 'from', max: today }) });
  const to = field({ label: 'To', input: h('input', { type: 'date', name: 'to', max: today }) });
  const search = field({ label: 'Search', input: h('input', { type: 'search', name: 'q', placeholder: 'Name, description or amount', autocomplete: 'off' }) });
  const csvButton = h('button', { type: 'button', class: 'btn btn-secondary' }, icon('download'), 'Download CSV');
  const clearButton = h('button', { type: 'button', class: 'btn btn-ghost', hidden: true }, 'Clear filters');
  const count = h('p', { class: 'statement-count muted small', 'aria-live': 'polite' });
  const errors = alertBox();
  const list = h('div', { class: 'statement-list' });
  const loadMore = h('button', { type: 'button', class: 'btn btn-secondary', hidden: true }, 'Load more');
  const endNote = h('p', { class: 'muted small', hidden: true }, 'That is the whole history for these dates.');
  const sentinel = h('div', { class: 'sentinel', 'aria-hidden': 'true' });

  const shown = () => {
    const q = search.input.value.trim().toLowerCase();
    return q ? state.items.filter((t) => haystack(t, accountsByNumber).includes(q)) : state.items;
  };

  function renderList() {
    const items = shown();
    const filtering = search.input.value.trim() !== '';
    if (items.length) mount(list, txList(items, { accounts }));
    else if (!state.loading) {
      mount(list, h('div', { class: 'empty statement-empty' }, h('p', { class: 'muted' },
        filtering || from.input.value || to.input.value ? 'No transactions match these filters.' : 'No transactions yet.')));
    }
    const more = state.done ? '' : ' so far';
    count.textContent = filtering
      ? `${items.length} of ${state.items.length} loaded transactions match`
      : `${items.length} transaction${items.length === 1 ? '' : 's'}${more}`;
    loadMore.hidden = state.done;
    loadMore.disabled = state.loading;
    loadMore.textContent = state.loading ? 'Loading…' : 'Load more';
    endNote.hidden = !state.done || state.items.length === 0;
    csvButton.disabled = items.length === 0;
    clearButton.hidden = !(filtering || from.input.value || to.input.value);
  }

  // Date inputs are local days; the server takes exact instants.
  function range() {
    return {
      from: from.input.value ? parseDayKey(from.input.value).toISOString() : undefined,
      to: to.input.value ? new Date(addDays(parseDayKey(to.input.value), 1) - 1).toISOString() : undefined,
    };
  }

  async function loadPage() {
    if (state.loading || state.done) return;
    state.loading = true;
    const generation = state.generation;
    renderList();
    try {
      const res = await get(`/api/accounts/${account.id}/transactions${query({ limit: PAGE, cursor: state.cursor, ...range() })}`, { signal });
      if (generation !== state.generation) return;
      state.items.push(...res.items);
      state.cursor = res.next_cursor;
      state.done = !res.next_cursor;
      errors.clear();
    } catch (err) {
      if (err.name === 'AbortError' || generation !== state.generation) return;
      errors.show(describe(err));
    } finally {
      if (generation === state.generation) {
        state.loading = false;
        renderList();
        // Re-observing reports the sentinel again if it is still on screen,
        // so a short first page keeps filling the view.
        observer.unobserve(sentinel);
        if (!state.done) observer.observe(sentinel);
      }
    }
  }

  function restart() {
    from.setError('');
    if (from.input.value && to.input.value && from.input.value > to.input.value) {
      from.setError('The start date must be on or before the end date.');
      return;
    }
    to.input.min = from.input.value || '';
    Object.assign(state, { items: [], cursor: null, done: false, loading: false, generation: state.generation + 1 });
    loadPage();
  }

  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) loadPage();
  }, { rootMargin: '400px 0px' });
  signal.addEventListener('abort', () => observer.disconnect());

  from.input.addEventListener('change', restart);
  to.input.addEventListener('change', restart);
  search.input.addEventListener('input', renderList);
  loadMore.addEventListener('click', loadPage);
  clearButton.addEventListener('click', () => {
    from.input.value = '';
    to.input.value = '';
    search.input.value = '';
    restart();
  });
  csvButton.addEventListener('click', () => {
    const numbers = new Map(accounts.map((a) => [a.id, a.number]));
    download(`bankbox-${account.number}-${today}.csv`, statementCsv(shown(), (id) => numbers.get(id) || ''));
  });

  loadPage();
  return h('section', { class: 'card statement-card', 'aria-labelledby': 'history-title' },
    h('div', { class: 'statement-head' },
      h('h2', { id: 'history-title' }, 'Transactions'),
      csvButton),
    h('div', { class: 'filters', role: 'search', 'aria-label': 'Filter transactions' }, from.el, to.el, search.el),
    h('div', { class: 'statement-meta' }, count, clearButton),
    errors.el,
    list,
    h('div', { class: 'statement-foot' }, sentinel, loadMore, endNote));
}
