// Home: totals per currency, the 90-day balance chart, every account and the
// latest transactions.

import { h, mount } from '../dom.js';
import { get } from '../api.js';
import { formatMoney, toDecimal, exponent } from '../money.js';
import { addDays, formatLong, formatShort, startOfDay } from '../dates.js';
import { dailyTotals, entriesSince } from '../balance-history.js';
import { lineChart } from '../chart.js';
import { pageHeader } from '../ui/page.js';
import { accountCard } from '../ui/account-card.js';
import { txList } from '../ui/txlist.js';
import { icon } from '../ui/icons.js';

const DAYS = 90;
const RECENT = 8;

function greeting(name) {
  const hour = new Date().getHours();
  const part = hour < 5 ? 'evening' : hour < 12 ? 'morning' : hour < 18 ? 'afternoon' : 'evening';
  return `Good ${part}, ${name}`;
}

// Sorted so the currency with the most money in it comes first.
function totalsByCurrency(accounts) {
  const totals = new Map();
  for (const a of accounts) totals.set(a.currency, (totals.get(a.currency) || 0) + a.balance);
  return [...totals].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

function compact(currency) {
  const f = new Intl.NumberFormat(undefined, { style: 'currency', currency, notation: 'compact', maximumFractionDigits: 1 });
  return (minor) => f.format(Number(toDecimal(minor, exponent(currency))));
}

function chartFor(currency, points) {
  const change = points[points.length - 1].value - points[0].value;
  return lineChart({
    points,
    label: `Total ${currency} balance over the last ${DAYS} days`,
    formatValue: (v) => formatMoney(v, currency),
    formatAxis: compact(currency),
    formatDate: formatShort,
    summary: `${formatMoney(change, currency, { sign: true })} over ${DAYS} days`,
  });
}

function balanceCard(accounts, series) {
  const totals = totalsByCurrency(accounts.filter((a) => !a.closed));
  const chartHost = h('div', { class: 'chart-host' });
  const switcher = h('div', { class: 'segmented', role: 'group', 'aria-label': 'Chart currency' });
  const show = (currency) => {
    for (const b of switcher.children) b.setAttribute('aria-pressed', String(b.value === currency));
    mount(chartHost, chartFor(currency, series.get(currency)));
  };
  for (const [currency] of totals) {
    const b = h('button', { type: 'button', class: 'segment', value: currency }, currency);
    b.addEventListener('click', () => show(currency));
    switcher.append(b);
  }
  const [main, ...others] = totals;
  const card = h('section', { class: 'card hero', 'aria-labelledby': 'total-title' },
    h('div', { class: 'hero-top' },
      h('div', {},
        h('h2', { id: 'total-title', class: 'eyebrow' }, 'Total balance'),
        main
          ? h('p', { class: 'hero-amount', 'data-testid': 'total' }, formatMoney(main[1], main[0]))
          : h('p', { class: 'hero-amount' }, '—'),
        others.length > 0 && h('ul', { class: 'hero-others', 'aria-label': 'Other currencies' },
          others.map(([cur, sum]) => h('li', {}, formatMoney(sum, cur))))),
      totals.length > 1 && switcher),
    h('h3', { class: 'visually-hidden' }, `Balance over the last ${DAYS} days`),
    chartHost);
  if (main) show(main[0]);
  return card;
}

function accountsSection(accounts) {
  const open = accounts.filter((a) => !a.closed);
  const closed = accounts.filter((a) => a.closed);
  return h('section', { class: 'panel', 'aria-labelledby': 'accounts-title' },
    h('div', { class: 'section-head' },
      h('h2', { id: 'accounts-title' }, 'Your accounts'),
      h('a', { class: 'link-action', href: '/open' }, icon('plus'), 'Open account')),
    h('div', { class: 'account-grid' }, [...open, ...closed].map(accountCard)));
}

function recentSection(recent, accounts) {
  return h('section', { class: 'panel', 'aria-labelledby': 'recent-title' },
    h('div', { class: 'section-head' }, h('h2', { id: 'recent-title' }, 'Latest transactions')),
    recent.length
      ? h('div', { class: 'card card-flush' }, txList(recent, { accounts, showAccount: accounts.length > 1 }))
      : h('div', { class: 'card empty' }, h('p', { class: 'muted' }, 'No transactions yet. Money you send and receive shows up here.')));
}

export default async function dashboard({ user, signal }) {
  const since = addDays(startOfDay(new Date()), -DAYS);
  const [{ items: accounts }, recent, entries] = await Promise.all([
    get('/api/accounts', { signal }),
    get(`/api/transactions?limit=${RECENT}`, { signal }),
    entriesSince(since, signal),
  ]);
  const series = dailyTotals(accounts, entries, DAYS);
  const transfer = h('a', { class: 'btn btn-primary', href: '/transfer' }, icon('transfer'), 'Transfer');
  const node = h('div', { class: 'page dashboard' },
    pageHeader({ title: greeting(user.username), subtitle: formatLong(new Date()), actions: [transfer] }),
    balanceCard(accounts, series),
    h('div', { class: 'dashboard-columns' }, accountsSection(accounts), recentSection(recent.items, accounts)));
  return { title: 'Home', node };
}
