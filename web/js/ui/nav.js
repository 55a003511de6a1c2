// The top bar and, on phones, the tab bar at the bottom of the screen. Shown
// only to a logged-in person.

import { h, mount } from '../dom.js';
import { icon } from './icons.js';
import { endSession } from '../logout.js';

function links(user) {
  const items = [
    { href: '/', label: 'Home', icon: 'home' },
    { href: '/transfer', label: 'Transfer', icon: 'transfer' },
    { href: '/open', label: 'New account', icon: 'plus' },
  ];
  if (user.role === 'admin') items.push({ href: '/admin', label: 'Admin', icon: 'shield' });
  items.push({ href: '/profile', label: 'Profile', icon: 'user' });
  return items;
}

function isCurrent(href, path) {
  return href === '/' ? path === '/' || path.startsWith('/accounts/') : path.startsWith(href);
}

export function renderNav(user, path) {
  const bar = document.getElementById('topbar');
  const nav = document.getElementById('nav');
  document.body.classList.toggle('signed-in', Boolean(user));
  bar.hidden = !user;
  if (!user) {
    nav.replaceChildren();
    return;
  }
  const logoutButton = h('button', { type: 'button', class: 'nav-logout btn btn-ghost', 'aria-label': 'Log out' }, icon('logout'), h('span', {}, 'Log out'));
  logoutButton.addEventListener('click', endSession);
  mount(nav,
    h('ul', { class: 'nav-list' }, links(user).map((l) => h('li', {},
      h('a', { href: l.href, class: 'nav-link', 'aria-current': isCurrent(l.href, path) ? 'page' : null },
        icon(l.icon), h('span', {}, l.label))))),
    h('span', { class: 'nav-user', title: `Logged in as ${user.username}` }, h('span', { class: 'avatar', 'aria-hidden': 'true' }, user.username.charAt(0).toUpperCase()), h('span', { class: 'nav-username' }, user.username)),
    logoutButton);
}
