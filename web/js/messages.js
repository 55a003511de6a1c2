// Turns the API's stable error codes into sentences a customer understands.

const MESSAGES = {
  network: 'We could not reach bankbox. Check your connection and try again.',
  invalid_credentials: 'Wrong username or password.',
  unauthenticated: 'Please log in to continue.',
  session_ended: 'Your session has ended. Please log in again.',
  invalid_token: 'Your session has ended. Please log in again.',
  csrf_failed: 'Your session could not be verified. Please reload the page and log in again.',
  forbidden: 'You do not have access to that.',
  registration_closed: 'Registration is closed. Ask the bank for an account.',
  username_taken: 'That username is already taken. Try another one.',
  invalid_username: 'Usernames are 3 to 32 letters, digits, dots, dashes or underscores.',
  invalid_email: 'Enter a valid email address.',
  invalid_password: 'Passwords are 8 to 128 characters long.',
  wrong_password: 'Your current password is not right.',
  insufficient_funds: 'There is not enough money in this account for that transfer.',
  account_frozen: 'The account is frozen, so no money can move in or out of it. Please contact the bank.',
  account_closed: 'That account is closed and cannot send or receive money.',
  same_account: 'You cannot send money to the account it comes from. Pick another account.',
  currency_mismatch: 'Both accounts must use the same currency.',
  amount_not_positive: 'Enter an amount greater than zero.',
  amount_not_integer: 'That amount has too many decimal places.',
  amount_too_large: 'That amount is too large.',
  balance_overflow: 'The receiving account cannot hold that much money.',
  account_number_checksum: 'That account number has a typo: its check digits do not match.',
  invalid_account_number: 'An account number has 12 digits.',
  account_not_found: 'We could not find an account with that number.',
  not_found: 'We could not find that.',
  idempotency_key_reused: 'This transfer was already sent with other details. Review it and send it again.',
  account_not_empty: 'Only an empty account can be closed. Move its money out first.',
  unknown_currency: 'We do not offer that currency.',
  invalid_account_kind: 'Choose a checking or a savings account.',
  too_long: 'That text is too long.',
  control_character: 'Use one line of plain text, without line breaks or tabs.',
  unavailable: 'bankbox is busy right now. Please try again in a moment.',
  internal: 'Something went wrong on our side. Please try again.',
};

/** A sentence for any error thrown by api.js (or anything else). */
export function describe(err) {
  if (err && err.code === 'too_many_attempts') {
    const wait = err.retryAfter ? ` Try again in ${err.retryAfter} seconds.` : ' Try again later.';
    return `Too many attempts.${wait}`;
  }
  return (err && MESSAGES[err.code]) || (err && err.detail) || 'Something went wrong. Please try again.';
}
