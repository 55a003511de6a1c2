// A statement: transactions grouped under day headings, newest first, each
// with who, what, the signed amount and the balance it left.

import { h } from '../dom.js';
import { formatMoney } from '../money.js';
import { dayHeading, dayKey, formatTime } from '../dates.js';
import { formatNumber } from '../account-number.js';
import { icon } from './icons.js';

/** Who the other side is, in words: own accounts by their name. */
export function counterpartyLabel(t, accountsByNumber) {
  if (t.kind === 'deposit') return 'Deposit';
  if (t.kind === 'withdrawal') return 'Withdrawal';
  const own = accountsByNumber.get(t.counterparty.account_number);
  if (own) return `${t.direction === 'in' ? 'From' : 'To'} ${own.name}`;
  return t.counterparty.name;
}

function row(t, ctx) {
  const incoming = t.direction === 'in';
  const kindIcon = t.kind === 'transfer' ? (incoming ? 'in' : 'out') : 'bank';
  const account = ctx.accountsById.get(t.account);
  const details = [
    t.description,
    ctx.showAccount && account ? account.name : null,
    t.kind === 'transfer' && !ctx.accountsByNumber.has(t.counterparty.account_number) ? formatNumber(t.counterparty.account_number) : null,
    formatTime(t.created_at),
  ].filter(Boolean);
  return h('li', { class: 'tx' },
    h('span', { class: `tx-icon ${incoming ? 'is-in' : 'is-out'}` }, icon(kindIcon)),
    h('div', { class: 'tx-main' },
      h('p', { class: 'tx-title' }, counterpartyLabel(t, ctx.accountsByNumber)),
      h('p', { class: 'tx-sub' }, details.join(' · '))),
    h('div', { class: 'tx-figures' },
      h('p', { class: `tx-amount ${incoming ? 'is-in' : 'is-out'}` },
        h('span', { class: 'visually-hidden' }, incoming ? 'Received ' : 'Sent '),
        formatMoney(incoming ? t.amount : -t.amount, t.currency, { sign: true })),
      h('p', { class: 'tx-balance' },
        h('span', { class: 'visually-hidden' }, 'Balance after: '),
        formatMoney(t.balance_after, t.currency))));
}

/**
 * txList(items, {accounts, showAccount}) → element.
 * `accounts` are mine, to name transfers between them.
 */
export function txList(items, { accounts, showAccount = false }) {
  const ctx = {
    showAccount,
    accountsById: new Map(accounts.map((a) => [a.id, a])),
    accountsByNumber: new Map(accounts.map((a) => [a.number, a])),
  };
  const groups = new Map();
  for (const t of items) {
    const key = dayKey(t.created_at);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(t);
  }
  return h('div', { class: 'statement' }, [...groups.values()].map((list) => h('section', { class: 'tx-day' },
    h('h3', { class: 'tx-day-title' }, dayHeading(list[0].created_at)),
    h('ul', { class: 'tx-list', role: 'list' }, list.map((t) => row(t, ctx))))));
}
