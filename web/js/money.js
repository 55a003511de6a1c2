// Money is integer minor units from the server to the screen and back; floats
// never touch it, so 0.1 + 0.2 cannot show up on a statement.

export const CURRENCIES = ['EUR', 'USD', 'GBP', 'CHF', 'JPY', 'SEK', 'NOK', 'DKK', 'PLN', 'CZK', 'CAD', 'AUD', 'MXN'];

const formatters = new Map();

function formatter(currency, sign) {
  const key = `${currency}/${sign}`;
  if (!formatters.has(key)) {
    formatters.set(key, new Intl.NumberFormat(undefined, {
      style: 'currency', currency, signDisplay: sign ? 'exceptZero' : 'auto',
    }));
  }
  return formatters.get(key);
}

/** Digits after the decimal point: 0 for JPY, 2 for the others here. */
export function exponent(currency) {
  return formatter(currency, false).resolvedOptions().maximumFractionDigits;
}

/** "-1234.56" for -123456 at exponent 2, exact for any safe integer. */
export function toDecimal(minor, exp) {
  const negative = minor < 0;
  const digits = String(Math.abs(minor)).padStart(exp + 1, '0');
  const whole = exp ? `${digits.slice(0, -exp)}.${digits.slice(-exp)}` : digits;
  return negative ? `-${whole}` : whole;
}

/** Formats minor units in the browser's locale; sign: true shows "+" too. */
export function formatMoney(minor, currency, { sign = false } = {}) {
  // Intl formats decimal strings exactly, without going through a float.
  return formatter(currency, sign).format(toDecimal(minor, exponent(currency)));
}

/** The currency's symbol as the locale writes it, e.g. "€". */
export function currencySymbol(currency) {
  const part = formatter(currency, false).formatToParts(0).find((p) => p.type === 'currency');
  return part ? part.value : currency;
}

/** The currency's name in the browser's language, e.g. "Euro". */
export function currencyName(currency) {
  try {
    return new Intl.DisplayNames(undefined, { type: 'currency' }).of(currency) || currency;
  } catch {
    return currency;
  }
}

// Both "1,234.50" and "1.234,50" are common: the last mark is the decimal
// point, unless one kind of mark only groups thousands ("1,000" or "1.000").
function splitDecimal(text, exp) {
  const marks = new Set(text.replace(/[0-9]/g, ''));
  if (marks.size === 0) return [text, ''];
  if (marks.size === 1 && exp < 3 && /^[1-9][0-9]{0,2}([.,][0-9]{3})+$/.test(text)) return [text, ''];
  const last = Math.max(text.lastIndexOf('.'), text.lastIndexOf(','));
  return [text.slice(0, last), text.slice(last + 1)];
}

/**
 * Parses what a person typed into minor units.
 * Returns {minor} or {error} with a sentence to show.
 */
export function parseAmount(input, currency) {
  const exp = exponent(currency);
  const text = String(input).replace(/[\s\u00a0\u202f'’]/g, '').replace(/^[+]/, '');
  if (text === '') return { error: 'Enter an amount.' };
  if (!/^[0-9.,]+$/.test(text)) return { error: 'Use digits only, like 12.50.' };
  const [wholeRaw, frac] = splitDecimal(text, exp);
  const grouped = /^([0-9]{1,3}([.,][0-9]{3})*)?$/.test(wholeRaw) || /^[0-9]+$/.test(wholeRaw);
  const whole = wholeRaw.replace(/[.,]/g, '');
  if (!grouped || !/^[0-9]*$/.test(frac) || (whole === '' && frac === '')) {
    return { error: 'Use digits only, like 12.50.' };
  }
  if (frac.length > exp) {
    return { error: exp === 0 ? `${currency} has no decimal places.` : `Use at most ${exp} decimal places.` };
  }
  const digits = `${whole}${frac.padEnd(exp, '0')}`.replace(/^0+(?=\d)/, '');
  if (digits.length > 15) return { error: 'That amount is too large.' };
  const minor = Number(digits);
  if (minor <= 0) return { error: 'Enter an amount greater than zero.' };
  return { minor };
}
