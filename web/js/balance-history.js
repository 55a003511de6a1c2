// Daily balances over a window, rebuilt from each entry's balance_after: the
// balance at the end of a day is that of the day's last entry, or of the
// previous day when nothing happened.

import { get, query } from './api.js';
import { addDays, startOfDay } from './dates.js';

const PAGE = 200;
const MAX_PAGES = 25;

/** Every entry of my accounts since `from`, newest first. */
export async function entriesSince(from, signal) {
  const items = [];
  let cursor = null;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const res = await get(`/api/transactions${query({ limit: PAGE, from: from.toISOString(), cursor })}`, { signal });
    items.push(...res.items);
    cursor = res.next_cursor;
    if (!cursor) break;
  }
  return items;
}

const signed = (t) => (t.direction === 'in' ? t.amount : -t.amount);

function accountSeries(account, entries, dayEnds) {
  const mine = entries.filter((t) => t.account === account.id).reverse();
  // Before its first entry in the window, an account held that entry's balance minus the entry.
  let balance = mine.length ? mine[0].balance_after - signed(mine[0]) : account.balance;
  let next = 0;
  return dayEnds.map((end) => {
    while (next < mine.length && new Date(mine[next].created_at) < end) {
      balance = mine[next].balance_after;
      next += 1;
    }
    return balance;
  });
}

/**
 * Total balance per currency for each of the last `days` days and today.
 * Returns Map(currency → [{date, value}]), oldest first.
 */
export function dailyTotals(accounts, entries, days) {
  const today = startOfDay(new Date());
  const dates = Array.from({ length: days + 1 }, (_, i) => addDays(today, i - days));
  const dayEnds = dates.map((d) => addDays(d, 1));
  const totals = new Map();
  for (const account of accounts) {
    const series = accountSeries(account, entries, dayEnds);
    const sum = totals.get(account.currency) || dates.map(() => 0);
    totals.set(account.currency, sum.map((v, i) => v + series[i]));
  }
  return new Map([...totals].map(([cur, values]) => [cur, values.map((value, i) => ({ date: dates[i], value }))]));
}
