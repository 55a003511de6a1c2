// Client-side routes on the History API. Every render asks the server for
// fresh data, and a route that needs a session shows the login view when there
// is none, so the back button after logout never brings data back.

import { h, mount } from './dom.js';
import { currentUser, refreshUser, isAdmin } from './session.js';
import { describe } from './messages.js';

const routes = [];
let controller = null;
let checked = false;
let firstRender = true;
let onRoute = () => {};

/** Called with (user, path) whenever a route is about to render, e.g. to update the nav. */
export function setRouteListener(fn) {
  onRoute = fn;
}

/**
 * Registers a view. pattern like '/accounts/:id'; access 'public' | 'user' | 'admin';
 * load: () => import(...) of a module whose default export is
 * async (ctx) => {title, node}.
 */
export function route(pattern, access, load) {
  const names = [];
  const source = pattern.replace(/:([a-z]+)/g, (_, name) => {
    names.push(name);
    return '([^/]+)';
  });
  routes.push({ regex: new RegExp(`^${source}/?$`), names, access, load });
}

function match(path) {
  for (const r of routes) {
    const m = r.regex.exec(path);
    if (m) {
      const params = Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(m[i + 1])]));
      return { ...r, params };
    }
  }
  return null;
}

export function navigate(to, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  return render();
}

function errorView(err, retry) {
  const button = h('button', { class: 'btn btn-secondary', type: 'button' }, 'Try again');
  button.addEventListener('click', retry);
  return {
    title: 'Something went wrong',
    node: h('section', { class: 'page narrow' },
      h('div', { class: 'empty card' },
        h('h1', { tabindex: '-1' }, 'Something went wrong'),
        h('p', { class: 'muted' }, describe(err)),
        button)),
  };
}

// A skeleton appears only when loading is slow enough to notice.
function showLoading(app, signal) {
  const timer = setTimeout(() => {
    if (!signal.aborted) mount(app, h('div', { class: 'page loading', 'aria-busy': 'true' }, h('p', { class: 'visually-hidden' }, 'Loading…'), h('div', { class: 'skeleton skeleton-title' }), h('div', { class: 'skeleton skeleton-card' }), h('div', { class: 'skeleton skeleton-card' })));
  }, 150);
  signal.addEventListener('abort', () => clearTimeout(timer));
  return () => clearTimeout(timer);
}

/** Renders the view for the current URL. */
export async function render() {
  controller?.abort();
  controller = new AbortController();
  const { signal } = controller;
  const app = document.getElementById('app');
  const url = new URL(location.href);

  if (!checked) {
    try {
      await refreshUser();
      checked = true;
    } catch (err) {
      if (signal.aborted) return;
      const v = errorView(err, render);
      mount(app, v.node);
      return;
    }
    if (signal.aborted) return;
  }

  let found = match(url.pathname);
  const user = currentUser();
  if (found && found.access !== 'public' && !user) {
    // Replacing the entry keeps "back" from returning to a data page.
    const next = url.pathname === '/' ? '' : `?next=${encodeURIComponent(url.pathname + url.search)}`;
    history.replaceState(null, '', `/login${next}`);
    found = match('/login');
  } else if (found && found.access === 'admin' && !isAdmin()) {
    found = null;
  } else if ((url.pathname === '/login' || url.pathname === '/register') && user) {
    history.replaceState(null, '', '/');
    found = match('/');
  }
  if (!found) found = { ...match('/404'), params: {} };

  onRoute(user, location.pathname);
  const stopLoading = showLoading(app, signal);
  let view;
  try {
    const module = await found.load();
    view = await module.default({ params: found.params, query: new URL(location.href).searchParams, signal, user });
  } catch (err) {
    if (signal.aborted || err.name === 'AbortError') return;
    if (err.status === 401) return; // the unauthorized handler re-renders into the login view
    view = err.status === 404 ? await (await match('/404').load()).default() : errorView(err, render);
  } finally {
    stopLoading();
  }
  if (signal.aborted) return;
  document.title = view.title ? `${view.title} · bankbox` : 'bankbox';
  mount(app, view.node);
  // Moves focus to the new heading so keyboard and screen reader users start
  // at the top of the new page, as they would after a full page load.
  if (!firstRender) {
    const heading = app.querySelector('h1');
    if (heading) {
      heading.setAttribute('tabindex', '-1');
      heading.focus({ preventScroll: true });
    }
    window.scrollTo(0, 0);
  }
  firstRender = false;
}

/** Sends same-origin link clicks through the router instead of reloading. */
export function interceptLinks() {
  document.addEventListener('click', (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = e.target.closest('a[href]');
    if (!a || a.target || a.hasAttribute('download')) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith('/api/')) return;
    e.preventDefault();
    if (url.href !== location.href) navigate(url.pathname + url.search);
  });
  window.addEventListener('popstate', () => render());
  // A page restored from the back-forward cache must re-check its session.
  window.addEventListener('pageshow', (e) => {
    if (e.persisted) {
      checked = false;
      render();
    }
  });
}
