// One account: its balance and details, what can be done with it, and its
// full history.

import { h } from '../dom.js';
import { get, post } from '../api.js';
import { describe } from '../messages.js';
import { formatMoney, currencyName } from '../money.js';
import { formatDate } from '../dates.js';
import { formatNumber } from '../account-number.js';
import { navigate } from '../router.js';
import { pageHeader } from '../ui/page.js';
import { alertBox, setBusy, toast } from '../ui/feedback.js';
import { kindLabel, statusBadges } from '../ui/account-card.js';
import { statement } from '../ui/statement.js';
import { icon } from '../ui/icons.js';

function copyButton(number) {
  if (!navigator.clipboard) return null;
  const button = h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'aria-label': 'Copy account number', title: 'Copy account number' }, icon('copy'));
  button.addEventListener('click', async () => {
    await navigator.clipboard.writeText(number);
    toast('Account number copied.');
  });
  return button;
}

// Closing asks once more in place, since it cannot be undone here.
function closeControl(account) {
  const errors = alertBox();
  const start = h('button', { type: 'button', class: 'btn btn-danger' }, 'Close account');
  const confirm = h('button', { type: 'button', class: 'btn btn-danger' }, 'Yes, close it');
  const cancel = h('button', { type: 'button', class: 'btn btn-ghost' }, 'Keep it open');
  const ask = h('div', { class: 'confirm', hidden: true },
    h('p', {}, account.balance === 0
      ? 'Close this account for good? It will no longer send or receive money.'
      : `This account still holds ${formatMoney(account.balance, account.currency)}. Move it out first, then close the account.`),
    h('div', { class: 'confirm-actions' }, account.balance === 0 && confirm, cancel));
  start.addEventListener('click', () => {
    ask.hidden = false;
    start.hidden = true;
    (account.balance === 0 ? confirm : cancel).focus();
  });
  cancel.addEventListener('click', () => {
    ask.hidden = true;
    start.hidden = false;
    start.focus();
  });
  confirm.addEventListener('click', async () => {
    setBusy(confirm, true, 'Closing…');
    try {
      await post(`/api/accounts/${account.id}/close`);
      toast(`${account.name} is closed.`);
      await navigate(location.pathname, { replace: true });
    } catch (err) {
      setBusy(confirm, false);
      errors.show(describe(err));
    }
  });
  return h('div', { class: 'close-control' }, start, ask, errors.el);
}

function summary(account) {
  const canSend = !account.closed && !account.frozen && account.balance > 0;
  return h('section', { class: 'card account-summary', 'aria-label': 'Balance and details' },
    h('div', { class: 'account-summary-main' },
      h('p', { class: 'eyebrow' }, 'Available balance'),
      h('p', { class: 'account-summary-balance', 'data-testid': 'balance' }, formatMoney(account.balance, account.currency)),
      h('div', { class: 'account-summary-actions' },
        canSend && h('a', { class: 'btn btn-primary', href: `/transfer?from=${account.id}` }, icon('transfer'), 'Send money'),
        !account.closed && closeControl(account))),
    h('dl', { class: 'definition account-details' },
      h('dt', {}, 'Account number'), h('dd', {}, h('span', { class: 'num' }, formatNumber(account.number)), copyButton(account.number)),
      h('dt', {}, 'Type'), h('dd', {}, kindLabel(account.kind)),
      h('dt', {}, 'Currency'), h('dd', {}, `${currencyName(account.currency)} (${account.currency})`),
      h('dt', {}, 'Holder'), h('dd', {}, account.holder),
      h('dt', {}, 'Opened'), h('dd', {}, formatDate(account.created_at))));
}

export default async function accountView({ params, signal }) {
  const [account, { items: accounts }] = await Promise.all([
    get(`/api/accounts/${encodeURIComponent(params.id)}`, { signal }),
    get('/api/accounts', { signal }),
  ]);
  const frozenNote = account.frozen && h('div', { class: 'alert alert-error is-shown', role: 'note' }, icon('snowflake'),
    h('p', {}, 'This account is frozen: no money can move in or out until the bank lifts the freeze.'));
  const node = h('div', { class: 'page account-page' },
    pageHeader({
      title: account.name,
      subtitle: h('span', { class: 'subtitle-row' }, `${kindLabel(account.kind)} · ${formatNumber(account.number)}`, statusBadges(account)),
      back: { href: '/', label: 'All accounts' },
    }),
    frozenNote,
    summary(account),
    statement({ account, accounts, signal }));
  return { title: account.name, node };
}
