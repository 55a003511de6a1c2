// Administration: every customer with their accounts, a cash desk for
// deposits and withdrawals, freezing accounts, and making new customers
// (the way in when registration is closed).

import { h, mount } from '../dom.js';
import { get, post } from '../api.js';
import { describe } from '../messages.js';
import { formatMoney, parseAmount, currencySymbol } from '../money.js';
import { formatNumber } from '../account-number.js';
import { pageHeader } from '../ui/page.js';
import { field, passwordField } from '../ui/form.js';
import { validate } from './register.js';
import { alertBox, setBusy, toast } from '../ui/feedback.js';
import { kindLabel, statusBadges } from '../ui/account-card.js';
import { uuid } from '../uuid.js';

function cashDesk(state) {
  const errors = alertBox();
  const op = h('fieldset', { class: 'choice-group' },
    h('legend', { class: 'legend' }, 'Operation'),
    h('div', { class: 'pills' },
      h('label', { class: 'pill' }, h('input', { type: 'radio', name: 'op', value: 'deposits', checked: true }), h('span', {}, 'Deposit')),
      h('label', { class: 'pill' }, h('input', { type: 'radio', name: 'op', value: 'withdrawals' }), h('span', {}, 'Withdrawal'))));
  const accountSelect = h('select', { name: 'account' });
  const account = field({ label: 'Account', input: accountSelect });
  const amount = field({ label: 'Amount', prefix: '', input: h('input', { name: 'amount', inputmode: 'decimal', autocomplete: 'off', placeholder: '0.00' }) });
  const description = field({ label: 'Description', optional: true, input: h('input', { name: 'description', maxlength: '140', autocomplete: 'off', placeholder: 'Cash at the counter' }) });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, 'Book it');
  const form = h('form', { class: 'form', novalidate: true }, errors.el, op, account.el, amount.el, description.el, submit);
  // The same filled-in form is one attempt: its key survives a retry after a
  // lost answer and is replaced once the server has answered.
  let key = null;
  let pending = false;

  const selected = () => state.accounts().find((a) => a.id === accountSelect.value);
  const refresh = () => {
    const a = selected();
    if (a) amount.setPrefix(currencySymbol(a.currency));
    account.setHint(a ? `Balance: ${formatMoney(a.balance, a.currency)}` : '');
  };
  const fill = () => {
    const keep = accountSelect.value;
    mount(accountSelect, state.accounts().filter((a) => !a.closed).map((a) => h('option', { value: a.id },
      `${a.holder} · ${a.name} · ${formatNumber(a.number)}`)));
    if (keep) accountSelect.value = keep;
    refresh();
  };
  form.addEventListener('input', () => {
    key = null;
  });
  accountSelect.addEventListener('change', refresh);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (pending) return;
    errors.clear();
    const a = selected();
    if (!a) {
      errors.show('Choose an account.');
      return;
    }
    const parsed = parseAmount(amount.input.value, a.currency);
    amount.setError(parsed.error || '');
    if (parsed.error) {
      amount.input.focus();
      return;
    }
    const kind = form.querySelector('input[name=op]:checked').value;
    pending = true;
    key = key || uuid();
    setBusy(submit, true, 'Booking…');
    try {
      await post(`/api/admin/${kind}`, { account: a.id, amount: parsed.minor, description: description.input.value.trim() }, { idempotencyKey: key });
      key = null;
      amount.input.value = '';
      description.input.value = '';
      toast(`${kind === 'deposits' ? 'Deposited' : 'Withdrew'} ${formatMoney(parsed.minor, a.currency)} ${kind === 'deposits' ? 'to' : 'from'} ${a.holder}'s ${a.name}.`);
      await state.reload();
    } catch (err) {
      if (err.status > 0 && err.status < 500) key = null;
      errors.show(describe(err));
    } finally {
      pending = false;
      setBusy(submit, false);
    }
  });

  return {
    el: h('section', { class: 'card cash-desk', 'aria-labelledby': 'desk-title' },
      h('h2', { id: 'desk-title' }, 'Cash desk'),
      h('p', { class: 'muted small section-note' }, 'Money in and out through the bank\'s own account.'),
      form),
    fill,
    prefill(accountId, kind) {
      accountSelect.value = accountId;
      form.querySelector(`input[name=op][value=${kind}]`).checked = true;
      key = null;
      refresh();
      form.scrollIntoView({ block: 'center', behavior: 'smooth' });
      amount.input.focus({ preventScroll: true });
    },
  };
}

function accountRow(a, actions) {
  const deposit = h('button', { type: 'button', class: 'btn btn-small btn-secondary' }, 'Deposit');
  const withdraw = h('button', { type: 'button', class: 'btn btn-small btn-secondary' }, 'Withdraw');
  const freeze = h('button', { type: 'button', class: `btn btn-small ${a.frozen ? 'btn-secondary' : 'btn-danger'}` }, a.frozen ? 'Unfreeze' : 'Freeze');
  deposit.addEventListener('click', () => actions.prefill(a.id, 'deposits'));
  withdraw.addEventListener('click', () => actions.prefill(a.id, 'withdrawals'));
  freeze.addEventListener('click', () => actions.toggleFreeze(a, freeze));
  const label = `${a.holder}'s ${a.name}`;
  for (const [b, verb] of [[deposit, 'Deposit to'], [withdraw, 'Withdraw from'], [freeze, a.frozen ? 'Unfreeze' : 'Freeze']]) {
    b.setAttribute('aria-label', `${verb} ${label}`);
  }
  return h('li', { class: 'admin-account' },
    h('div', { class: 'admin-account-info' },
      h('p', { class: 'admin-account-name' }, a.name, ' ', statusBadges(a)),
      h('p', { class: 'muted small num' }, `${kindLabel(a.kind)} · ${formatNumber(a.number)}`)),
    h('p', { class: 'admin-account-balance num' }, formatMoney(a.balance, a.currency)),
    !a.closed && h('div', { class: 'admin-account-actions' }, deposit, withdraw, freeze));
}

function newCustomer(state) {
  const errors = alertBox();
  const username = field({ label: 'Username', input: h('input', { name: 'new-username', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', maxlength: '32' }) });
  const email = field({ label: 'Email', input: h('input', { name: 'new-email', type: 'email', autocomplete: 'off' }) });
  const password = passwordField('First password', { name: 'new-password', autocomplete: 'new-password', minlength: '8', maxlength: '128' }, 'At least 8 characters; tell it to the customer.');
  const admin = h('input', { type: 'checkbox', name: 'new-admin' });
  const role = h('label', { class: 'check' }, admin, h('span', {}, 'Administrator'));
  const submit = h('button', { type: 'submit', class: 'btn btn-secondary btn-block' }, 'Create customer');
  const form = h('form', { class: 'form', novalidate: true }, errors.el, username.el, email.el, password.el, role, submit);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    errors.clear();
    const wrong = validate(username, email, password);
    if (wrong) {
      wrong.input.focus();
      return;
    }
    setBusy(submit, true, 'Creating…');
    const name = username.input.value.trim();
    try {
      await post('/api/admin/users', { username: name, email: email.input.value.trim(), password: password.input.value, admin: admin.checked });
      form.reset();
      toast(`${name} can now log in, with a checking account.`);
      await state.reload();
    } catch (err) {
      errors.show(describe(err));
    } finally {
      setBusy(submit, false);
    }
  });

  return h('section', { class: 'card new-customer', 'aria-labelledby': 'new-customer-title' },
    h('h2', { id: 'new-customer-title' }, 'New customer'),
    h('p', { class: 'muted small section-note' }, 'How people get in when registration is closed. They start with a checking account.'),
    form);
}

function userCard(u, actions) {
  return h('li', { class: 'card admin-user' },
    h('div', { class: 'admin-user-head' },
      h('span', { class: 'avatar', 'aria-hidden': 'true' }, u.username.charAt(0).toUpperCase()),
      h('div', { class: 'admin-user-name' },
        h('h3', {}, u.username),
        h('p', { class: 'muted small' }, u.email)),
      u.role === 'admin' && h('span', { class: 'badge badge-admin' }, 'Admin'),
      u.disabled && h('span', { class: 'badge badge-muted' }, 'Disabled')),
    u.accounts.length
      ? h('ul', { class: 'admin-accounts' }, u.accounts.map((a) => accountRow(a, actions)))
      : h('p', { class: 'muted small' }, 'No accounts.'));
}

export default async function admin({ signal }) {
  let users = (await get('/api/admin/users', { signal })).items;
  const list = h('ul', { class: 'admin-users' });
  const search = field({ label: 'Find a customer', input: h('input', { type: 'search', name: 'q', placeholder: 'Name, email or account number', autocomplete: 'off' }) });
  const count = h('p', { class: 'muted small', 'aria-live': 'polite' });
  const listErrors = alertBox();

  const state = {
    accounts: () => users.flatMap((u) => u.accounts),
    async reload() {
      users = (await get('/api/admin/users', { signal })).items;
      renderUsers();
      desk.fill();
    },
  };
  const desk = cashDesk(state);
  const actions = {
    prefill: desk.prefill,
    async toggleFreeze(a, button) {
      setBusy(button, true);
      listErrors.clear();
      try {
        await post(`/api/admin/accounts/${a.id}/${a.frozen ? 'unfreeze' : 'freeze'}`);
        toast(`${a.holder}'s ${a.name} is ${a.frozen ? 'no longer frozen' : 'frozen'}.`);
        await state.reload();
      } catch (err) {
        setBusy(button, false);
        listErrors.show(describe(err));
      }
    },
  };

  function renderUsers() {
    const q = search.input.value.trim().toLowerCase().replace(/\s/g, '');
    const shown = users.filter((u) => !q || u.username.toLowerCase().includes(q) || u.email.toLowerCase().includes(q)
      || u.accounts.some((a) => a.number.includes(q)));
    mount(list, shown.map((u) => userCard(u, actions)));
    count.textContent = `${shown.length} of ${users.length} users`;
  }
  search.input.addEventListener('input', renderUsers);
  renderUsers();
  desk.fill();

  const accounts = state.accounts();
  const node = h('div', { class: 'page admin-page' },
    pageHeader({ title: 'Administration', subtitle: `${users.length} users · ${accounts.length} accounts · ${accounts.filter((a) => a.frozen).length} frozen` }),
    h('div', { class: 'admin-columns' },
      h('section', { class: 'admin-list', 'aria-labelledby': 'users-title' },
        h('div', { class: 'section-head' }, h('h2', { id: 'users-title' }, 'Customers'), count),
        search.el,
        listErrors.el,
        list),
      h('div', { class: 'admin-side' }, desk.el, newCustomer(state))));
  return { title: 'Administration', node };
}
