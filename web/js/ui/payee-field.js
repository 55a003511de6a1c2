// The "to account number" field: checks the check digits as the person types
// and, once they add up, shows whose account it is (confirmation of payee).

import { h } from '../dom.js';
import { get } from '../api.js';
import { describe } from '../messages.js';
import { check, formatNumber } from '../account-number.js';
import { field } from './form.js';
import { icon } from './icons.js';

const HINT = '12 digits. Spaces and dashes are fine.';

/** payeeField({signal, initial}) → {el, input, focus, payee(): {account_number,name,currency}|null, explain(): string} */
export function payeeField({ signal, initial = '' }) {
  const f = field({
    label: 'Account number',
    hint: HINT,
    input: h('input', { name: 'to_number', inputmode: 'numeric', autocomplete: 'off', spellcheck: 'false', maxlength: '20', placeholder: '0000 0000 0000', value: initial }),
  });
  const cache = new Map();
  let current = null;
  let problem = 'Enter the account number you are paying.';
  let latest = '';

  function show(payee) {
    current = payee;
    problem = '';
    f.setError('');
    f.setHint(h('span', { class: 'payee' }, icon('check'),
      h('span', {}, 'Account holder: ', h('strong', { 'data-testid': 'payee-name' }, payee.name), ` · ${payee.currency} account`)), 'is-good');
  }

  async function update() {
    const result = check(f.input.value);
    current = null;
    latest = result.number;
    const states = {
      empty: ['', 'Enter the account number you are paying.'],
      partial: [`${result.number.length} of 12 digits`, 'An account number has 12 digits.'],
      invalid: ['', 'Use digits only: an account number has 12 digits.'],
      checksum: ['', 'These digits do not add up. Check the number for a typo.'],
    };
    if (result.state !== 'valid') {
      const [hint, message] = states[result.state];
      const wrong = result.state === 'invalid' || result.state === 'checksum';
      problem = message;
      f.setHint(wrong ? '' : hint || HINT);
      f.setError(wrong ? message : '');
      return;
    }
    if (cache.has(result.number)) {
      show(cache.get(result.number));
      return;
    }
    problem = 'Still checking whose account this is.';
    f.setError('');
    f.setHint(`Checking ${formatNumber(result.number)}…`);
    try {
      const payee = await get(`/api/payees/${result.number}`, { signal });
      cache.set(result.number, payee);
      if (latest === result.number) show(payee);
    } catch (err) {
      if (err.name === 'AbortError' || latest !== result.number) return;
      problem = err.status === 404 ? 'There is no open account with this number.' : describe(err);
      f.setHint('');
      f.setError(problem);
    }
  }

  f.input.addEventListener('input', update);
  if (initial) update();
  return {
    el: f.el,
    input: f.input,
    payee: () => current,
    explain: () => problem,
    showError: () => f.setError(problem),
  };
}
