// Account numbers are 12 digits whose last two are ISO 7064 MOD 97-10 check
// digits: a typo is caught in the browser before anyone is asked to pay it.

/** The digits of what was typed, with spaces and dashes dropped. */
function normalize(text) {
  return String(text).replace(/[\s-]/g, '');
}

// Digit by digit, so no number ever exceeds what a float holds exactly.
function mod97(digits) {
  let rest = 0;
  for (const d of digits) rest = (rest * 10 + Number(d)) % 97;
  return rest;
}

/**
 * Checks a typed account number.
 * Returns {state: 'empty' | 'partial' | 'invalid' | 'checksum' | 'valid', number}.
 */
export function check(text) {
  const number = normalize(text);
  if (number === '') return { state: 'empty', number };
  if (!/^[0-9]+$/.test(number) || number.length > 12) return { state: 'invalid', number };
  if (number.length < 12) return { state: 'partial', number };
  return { state: mod97(number) === 1 ? 'valid' : 'checksum', number };
}

/** "7258 6790 4773": groups of four are easier to read aloud and compare. */
export function formatNumber(number) {
  return normalize(number).replace(/(\d{4})(?=\d)/g, '$1 ');
}
