// Entry point: the routes, and what happens when the server ends the session.

import { setUnauthorizedHandler } from './js/api.js';
import { route, render, interceptLinks, setRouteListener } from './js/router.js';
import { currentUser, setUser } from './js/session.js';
import { renderNav } from './js/ui/nav.js';

route('/login', 'public', () => import('./js/views/login.js'));
route('/register', 'public', () => import('./js/views/register.js'));
route('/', 'user', () => import('./js/views/dashboard.js'));
route('/accounts/:id', 'user', () => import('./js/views/account.js'));
route('/transfer', 'user', () => import('./js/views/transfer.js'));
route('/open', 'user', () => import('./js/views/open-account.js'));
route('/profile', 'user', () => import('./js/views/profile.js'));
route('/admin', 'admin', () => import('./js/views/admin.js'));
route('/404', 'public', () => import('./js/views/not-found.js'));

setRouteListener(renderNav);
setUnauthorizedHandler(() => {
  if (!currentUser()) return;
  // The session ended under us (expired, or logged out elsewhere): drop
  // everything on screen and ask for a login.
  setUser(null);
  document.getElementById('app').replaceChildren();
  render();
});
interceptLinks();
render();
