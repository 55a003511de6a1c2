// CSV export of a statement as it is shown, RFC 4180 quoted. Text cells that
// a spreadsheet would run as a formula get a leading apostrophe.

import { toDecimal, exponent } from './money.js';

function cell(value, text = true) {
  let s = String(value ?? '');
  if (text && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const HEADER = ['date', 'account', 'kind', 'direction', 'counterparty', 'counterparty_account', 'description', 'amount', 'currency', 'balance_after'];

/** Statement lines (API transactions) → CSV text. `accountNumber` maps account id → number. */
export function statementCsv(items, accountNumber) {
  const lines = items.map((t) => {
    const exp = exponent(t.currency);
    return [
      cell(t.created_at),
      cell(accountNumber(t.account)),
      cell(t.kind),
      cell(t.direction),
      cell(t.counterparty.name),
      cell(t.counterparty.account_number),
      cell(t.description),
      cell(toDecimal(t.direction === 'in' ? t.amount : -t.amount, exp), false),
      cell(t.currency),
      cell(toDecimal(t.balance_after, exp), false),
    ].join(',');
  });
  return `${[HEADER.join(','), ...lines].join('\r\n')}\r\n`;
}

/** Hands text to the browser as a file download. */
export function download(filename, text) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
