// Who is logged in, as far as this page knows. The cookie is the truth; this is
// only a memory of the last answer from /api/users/me, dropped on any 401.

import { get, post } from './api.js';

let user = null;
let meta = null;

export const currentUser = () => user;
export const isAdmin = () => user?.role === 'admin';

export function setUser(u) {
  user = u;
}

/** Asks the server who we are; null when nobody is logged in. */
export async function refreshUser() {
  try {
    user = await get('/api/users/me', { quiet401: true });
  } catch (err) {
    if (err.status !== 401) throw err;
    user = null;
  }
  return user;
}

/** Environment, registration and demo logins; a server without /api/meta means none. */
export async function loadMeta() {
  if (meta) return meta;
  try {
    meta = await get('/api/meta');
    return meta;
  } catch {
    return { environment: 'production', open_registration: false, demo_logins: [] };
  }
}

export async function logout() {
  try {
    await post('/api/auth/logout', undefined, { quiet401: true });
  } finally {
    user = null;
  }
}
