// One account as a tappable card: name, kind, number, balance and status.

import { h } from '../dom.js';
import { formatMoney } from '../money.js';
import { formatNumber } from '../account-number.js';
import { icon } from './icons.js';

/** Badges for what stops an account from moving money. */
export function statusBadges(account) {
  return [
    account.closed && h('span', { class: 'badge badge-muted' }, 'Closed'),
    account.frozen && h('span', { class: 'badge badge-warn' }, icon('snowflake'), 'Frozen'),
  ];
}

export const kindLabel = (kind) => (kind === 'savings' ? 'Savings' : 'Checking');

export function accountCard(account) {
  return h('a', { class: `account-card kind-${account.kind}${account.closed ? ' is-closed' : ''}`, href: `/accounts/${account.id}` },
    h('span', { class: 'account-card-top' },
      h('span', { class: 'account-icon' }, icon(account.kind === 'savings' ? 'coins' : 'wallet')),
      h('span', { class: 'account-card-name' },
        h('span', { class: 'account-name' }, account.name),
        h('span', { class: 'account-meta' }, `${kindLabel(account.kind)} · ${formatNumber(account.number)}`)),
      statusBadges(account)),
    h('span', { class: 'account-balance' }, formatMoney(account.balance, account.currency)));
}
