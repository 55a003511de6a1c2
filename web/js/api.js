// The one door to the server. The session lives in an HttpOnly cookie the page
// cannot read; every write echoes the CSRF cookie so the server knows the
// request comes from this page.

class ApiError extends Error {
  constructor(status, code, detail, retryAfter = null) {
    super(detail || code);
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.retryAfter = retryAfter;
  }
}

let onUnauthorized = () => {};

/** Called whenever the server says the session is gone (401). */
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

function csrfToken() {
  const pair = document.cookie.split(';').map((c) => c.trim().split('='))
    .find(([name]) => name === 'bankbox_csrf');
  return pair ? decodeURIComponent(pair[1] || '') : '';
}

async function problem(res) {
  let body = {};
  try {
    body = await res.json();
  } catch {
    // A body that is not problem+json still tells its status.
  }
  const retry = Number(res.headers.get('Retry-After'));
  return new ApiError(res.status, body.code || `http_${res.status}`, body.detail || res.statusText,
    Number.isFinite(retry) && retry > 0 ? retry : null);
}

/**
 * Sends one request and returns the parsed JSON (null for 204).
 * opts: {body, signal, idempotencyKey, quiet401}
 */
export async function request(method, path, opts = {}) {
  const headers = { Accept: 'application/json' };
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') headers['X-CSRF-Token'] = csrfToken();
  if (opts.idempotencyKey) headers['Idempotency-Key'] = opts.idempotencyKey;
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: opts.signal,
    });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0, 'network', 'the server could not be reached');
  }
  if (!res.ok) {
    const err = await problem(res);
    if (res.status === 401 && !opts.quiet401) onUnauthorized();
    throw err;
  }
  return res.status === 204 ? null : res.json();
}

export const get = (path, opts) => request('GET', path, opts);
export const post = (path, body, opts = {}) => request('POST', path, { ...opts, body });

/** Builds a query string from the defined values of params. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}
