// Send money: fill in, review (with the payee's name), send. One
// Idempotency-Key per attempt, reused when the same attempt is retried, so a
// double click or a lost answer never pays twice.

import { h, mount } from '../dom.js';
import { get, post } from '../api.js';
import { describe } from '../messages.js';
import { formatMoney, parseAmount, currencySymbol } from '../money.js';
import { formatNumber } from '../account-number.js';
import { pageHeader } from '../ui/page.js';
import { field } from '../ui/form.js';
import { alertBox, setBusy } from '../ui/feedback.js';
import { payeeField } from '../ui/payee-field.js';
import { icon } from '../ui/icons.js';
import { uuid } from '../uuid.js';

// Short enough for a phone: the name, the last digits and the balance.
const option = (a) => h('option', { value: a.id }, `${a.name} •• ${a.number.slice(-4)} · ${formatMoney(a.balance, a.currency)}`);

function radio(name, value, label, checked) {
  return h('label', { class: 'pill' },
    h('input', { type: 'radio', name, value, checked }),
    h('span', {}, label));
}

function focusHeading(container) {
  const heading = container.querySelector('h2');
  heading.setAttribute('tabindex', '-1');
  heading.focus();
}

function form(ctx) {
  const { accounts, query, signal, draft } = ctx;
  const usable = accounts.filter((a) => !a.closed);
  if (!usable.length) {
    return h('div', { class: 'card empty' }, h('h2', {}, 'No account to send from'), h('p', { class: 'muted' }, 'Open an account first.'), h('a', { class: 'btn btn-primary', href: '/open' }, 'Open an account'));
  }
  const fromSelect = h('select', { name: 'from' }, usable.map(option));
  fromSelect.value = draft.from || query.get('from') || usable.find((a) => a.balance > 0)?.id || usable[0]?.id;
  const from = field({ label: 'From', input: fromSelect });

  const ownSelect = h('select', { name: 'to_own' });
  const own = field({ label: 'To account', input: ownSelect });
  const payee = payeeField({ signal, initial: draft.toNumber || query.get('to') || '' });
  const toMode = draft.toMode || (query.get('to') || usable.length < 2 ? 'other' : 'own');
  const modes = h('fieldset', { class: 'choice-group' },
    h('legend', { class: 'legend' }, 'To'),
    h('div', { class: 'pills' },
      radio('to_mode', 'own', 'My accounts', toMode === 'own'),
      radio('to_mode', 'other', 'Someone else', toMode === 'other')));

  const amount = field({
    label: 'Amount',
    prefix: '',
    input: h('input', { name: 'amount', inputmode: 'decimal', autocomplete: 'off', placeholder: '0.00', value: draft.amount || '' }),
  });
  amount.el.classList.add('input-amount');
  const description = field({
    label: 'Description',
    optional: true,
    hint: 'Shown to you and the recipient. Up to 140 characters.',
    input: h('input', { name: 'description', maxlength: '140', autocomplete: 'off', value: draft.description || '' }),
  });
  const review = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, 'Review transfer');

  const fromAccount = () => usable.find((a) => a.id === fromSelect.value);
  const mode = () => modes.querySelector('input:checked').value;

  function refresh() {
    const a = fromAccount();
    const keep = ownSelect.value;
    mount(ownSelect, usable.filter((o) => o.id !== a.id).map(option));
    if ([...ownSelect.options].some((o) => o.value === keep)) ownSelect.value = keep;
    own.el.hidden = mode() !== 'own';
    payee.el.hidden = mode() !== 'other';
    amount.setPrefix(currencySymbol(a.currency));
    from.setHint(a.frozen ? 'This account is frozen and cannot send money.' : `${formatNumber(a.number)} · Available: ${formatMoney(a.balance, a.currency)}`, a.frozen ? 'is-bad' : '');
  }

  // The checks the server would make, made first so most refusals never need a round trip.
  function validate() {
    const a = fromAccount();
    const problems = [];
    const parsed = parseAmount(amount.input.value, a.currency);
    let to = null;
    if (a.frozen) problems.push([from, 'This account is frozen and cannot send money.']);
    if (mode() === 'own') {
      to = usable.find((o) => o.id === ownSelect.value);
      if (!to) problems.push([own, 'You have no other account to move money to.']);
      else if (to.currency !== a.currency) problems.push([own, `${to.name} is in ${to.currency} and ${a.name} is in ${a.currency}. Both must use the same currency.`]);
    } else {
      const p = payee.payee();
      if (!p) problems.push([payee, payee.explain()]);
      else if (p.currency !== a.currency) problems.push([payee, `This account is in ${p.currency} and ${a.name} is in ${a.currency}. Both must use the same currency.`]);
      else to = { name: p.name, number: p.account_number };
    }
    if (parsed.error) problems.push([amount, parsed.error]);
    else if (parsed.minor > a.balance) problems.push([amount, `That is more than the ${formatMoney(a.balance, a.currency)} available in ${a.name}.`]);
    from.setError(problems.find(([f]) => f === from)?.[1] || '');
    own.setError(problems.find(([f]) => f === own)?.[1] || '');
    amount.setError(problems.find(([f]) => f === amount)?.[1] || '');
    if (problems.some(([f]) => f === payee)) payee.showError();
    return { problems, from: a, to, minor: parsed.minor };
  }

  const node = h('form', { class: 'card form transfer-form', novalidate: true },
    h('h2', {}, 'Transfer details'),
    from.el, modes, own.el, payee.el, amount.el, description.el, review);

  fromSelect.addEventListener('change', refresh);
  modes.addEventListener('change', refresh);
  amount.input.addEventListener('input', () => amount.setError(''));
  node.addEventListener('submit', (e) => {
    e.preventDefault();
    const v = validate();
    if (v.problems.length) {
      // Each message sits under its field; focus lands on the first, which reads it out.
      v.problems[0][0].input.focus();
      return;
    }
    ctx.draft = {
      from: v.from.id,
      toMode: mode(),
      toNumber: payee.input.value,
      amount: amount.input.value,
      description: description.input.value,
    };
    ctx.review({
      from: v.from,
      to: v.to,
      toAccount: mode() === 'own' ? v.to.id : v.to.number,
      minor: v.minor,
      description: description.input.value.trim(),
    });
  });
  refresh();
  return node;
}

function reviewStep(ctx, transfer) {
  const errors = alertBox();
  const amountText = formatMoney(transfer.minor, transfer.from.currency);
  const send = h('button', { type: 'button', class: 'btn btn-primary btn-block', 'data-testid': 'send' }, `Send ${amountText}`);
  const edit = h('button', { type: 'button', class: 'btn btn-secondary btn-block' }, 'Edit');
  // One attempt, one key: kept across retries of this same review, dropped
  // once the server has given a definite answer.
  let key = uuid();
  let pending = false;

  send.addEventListener('click', async () => {
    if (pending) return;
    pending = true;
    errors.clear();
    setBusy(send, true, 'Sending…');
    edit.disabled = true;
    try {
      key = key || uuid();
      const t = await post('/api/transactions', {
        from_account: transfer.from.id,
        to_account: transfer.toAccount,
        amount: transfer.minor,
        description: transfer.description,
      }, { idempotencyKey: key });
      ctx.done(transfer, t);
    } catch (err) {
      const uncertain = err.status === 0 || err.status >= 500;
      if (!uncertain) key = null;
      setBusy(send, false);
      edit.disabled = false;
      if (uncertain) send.textContent = `Try again: send ${amountText}`;
      errors.show(uncertain
        ? `${describe(err)} If it did go through, trying again will not pay twice.`
        : describe(err));
    } finally {
      pending = false;
    }
  });
  edit.addEventListener('click', ctx.edit);

  return h('section', { class: 'card review', 'aria-labelledby': 'review-title' },
    h('h2', { id: 'review-title' }, 'Check and send'),
    h('p', { class: 'review-amount' }, amountText),
    h('dl', { class: 'definition' },
      h('dt', {}, 'From'), h('dd', {}, `${transfer.from.name} · ${formatNumber(transfer.from.number)}`),
      h('dt', {}, 'To'), h('dd', { 'data-testid': 'review-to' }, `${transfer.to.name} · ${formatNumber(transfer.to.number)}`),
      transfer.description && [h('dt', {}, 'Description'), h('dd', {}, transfer.description)],
      h('dt', {}, 'Balance after'), h('dd', {}, formatMoney(transfer.from.balance - transfer.minor, transfer.from.currency))),
    errors.el,
    h('div', { class: 'review-actions' }, edit, send));
}

function doneStep(transfer, t) {
  return h('section', { class: 'card done', 'aria-labelledby': 'done-title' },
    h('span', { class: 'done-icon' }, icon('check')),
    h('h2', { id: 'done-title' }, `${formatMoney(t.amount, t.currency)} sent to ${transfer.to.name}`),
    h('p', { class: 'muted' }, `New balance of ${transfer.from.name}: `, h('strong', { class: 'num' }, formatMoney(t.balance_after, t.currency))),
    h('div', { class: 'done-actions' },
      h('a', { class: 'btn btn-primary', href: `/accounts/${transfer.from.id}` }, `View ${transfer.from.name}`),
      h('a', { class: 'btn btn-secondary', href: '/transfer' }, 'New transfer')));
}

export default async function transferView({ query, signal }) {
  const { items: accounts } = await get('/api/accounts', { signal });
  const stage = h('div', { class: 'transfer-stage' });
  const ctx = {
    accounts, query, signal, draft: {},
    review(transfer) {
      mount(stage, reviewStep(ctx, transfer));
      focusHeading(stage);
    },
    edit() {
      mount(stage, form(ctx));
      focusHeading(stage);
    },
    done(transfer, t) {
      mount(stage, doneStep(transfer, t));
      focusHeading(stage);
    },
  };
  mount(stage, form(ctx));
  const node = h('div', { class: 'page narrow transfer-page' },
    pageHeader({ title: 'Send money', subtitle: 'Between your own accounts, or to anyone with a bankbox account number.', back: { href: '/', label: 'Home' } }),
    stage);
  return { title: 'Send money', node };
}
