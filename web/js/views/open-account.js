// Open a checking or savings account in one of the bank's currencies.

import { h } from '../dom.js';
import { get, post } from '../api.js';
import { describe } from '../messages.js';
import { CURRENCIES, currencyName } from '../money.js';
import { navigate } from '../router.js';
import { pageHeader } from '../ui/page.js';
import { field } from '../ui/form.js';
import { alertBox, setBusy, toast } from '../ui/feedback.js';
import { icon } from '../ui/icons.js';

const KINDS = [
  { value: 'checking', label: 'Checking', note: 'For everyday spending and payments.', icon: 'wallet' },
  { value: 'savings', label: 'Savings', note: 'Set money aside for later.', icon: 'coins' },
];

function kindChoice(kind, checked) {
  return h('label', { class: 'choice' },
    h('input', { type: 'radio', name: 'kind', value: kind.value, checked }),
    h('span', { class: 'choice-box' }, icon(kind.icon),
      h('span', {}, h('strong', {}, kind.label), h('small', {}, kind.note))));
}

export default async function openAccount({ signal }) {
  const { items: accounts } = await get('/api/accounts', { signal });
  const errors = alertBox();
  const kinds = h('fieldset', { class: 'choice-group' },
    h('legend', { class: 'legend' }, 'Type of account'),
    h('div', { class: 'choices' }, KINDS.map((k, i) => kindChoice(k, i === 0))));
  const currencySelect = h('select', { name: 'currency' },
    CURRENCIES.map((c) => h('option', { value: c }, `${c} · ${currencyName(c)}`)));
  currencySelect.value = accounts[0]?.currency || 'EUR';
  const currency = field({ label: 'Currency', input: currencySelect, hint: 'Transfers work between accounts of the same currency.' });
  const name = field({
    label: 'Account name',
    optional: true,
    hint: 'Helps you tell your accounts apart, like "Holiday fund".',
    input: h('input', { name: 'name', maxlength: '64', autocomplete: 'off' }),
  });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, 'Open account');
  const form = h('form', { class: 'card form', novalidate: true }, errors.el, kinds, currency.el, name.el, submit);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    errors.clear();
    setBusy(submit, true, 'Opening…');
    const kind = form.querySelector('input[name=kind]:checked').value;
    try {
      const account = await post('/api/accounts', {
        kind,
        currency: currencySelect.value,
        name: name.input.value.trim() || undefined,
      });
      toast(`Your ${account.name} account is open.`);
      await navigate(`/accounts/${account.id}`);
    } catch (err) {
      setBusy(submit, false);
      errors.show(describe(err));
    }
  });

  return {
    title: 'Open an account',
    node: h('div', { class: 'page narrow' },
      pageHeader({ title: 'Open an account', subtitle: 'Free, instant, and you can close it any time it is empty.', back: { href: '/', label: 'Home' } }),
      form),
  };
}
