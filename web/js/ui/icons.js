// Line icons drawn as inline SVG, so the app needs no icon font or download.
// They are decoration: the text beside each one carries the meaning.

import { s } from '../dom.js';

const PATHS = {
  home: ['M3 10.5 12 3l9 7.5V20a1 1 0 0 1-1 1h-5v-6H9v6H4a1 1 0 0 1-1-1z'],
  transfer: ['M7 7h13m0 0-4-4m4 4-4 4', 'M17 17H4m0 0 4-4m-4 4 4 4'],
  plus: ['M12 5v14M5 12h14'],
  user: ['M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8z', 'M4 21a8 8 0 0 1 16 0'],
  shield: ['M12 3 4 6v6c0 4.5 3.4 8.3 8 9 4.6-.7 8-4.5 8-9V6z', 'm9 12 2 2 4-4'],
  logout: ['M15 4h4a1 1 0 0 1 1 1v14a1 1 0 0 1-1 1h-4', 'M10 17l-5-5 5-5M5 12h11'],
  in: ['M17 7 7 17m0 0h8m-8 0V9'],
  out: ['M7 17 17 7m0 0H9m8 0v8'],
  search: ['M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14z', 'm20 20-4-4'],
  download: ['M12 4v11m0 0-4-4m4 4 4-4', 'M5 20h14'],
  back: ['M15 18l-6-6 6-6'],
  forward: ['M9 18l6-6-6-6'],
  check: ['M5 12.5l4.5 4.5L19 7'],
  alert: ['M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z', 'M12 7.5v5.5M12 16.5v.01'],
  eye: ['M2 12s3.6-7 10-7 10 7 10 7-3.6 7-10 7S2 12 2 12z', 'M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6z'],
  eyeOff: ['M3 3l18 18', 'M10.6 5.1A10 10 0 0 1 12 5c6.4 0 10 7 10 7a17 17 0 0 1-3.2 4M6.6 6.6C3.8 8.4 2 12 2 12s3.6 7 10 7a9.6 9.6 0 0 0 5.4-1.6', 'M9.9 9.9a3 3 0 0 0 4.2 4.2'],
  snowflake: ['M12 2v20M3.3 7l17.4 10M3.3 17 20.7 7', 'M9 4l3 2 3-2M9 20l3-2 3 2'],
  bank: ['M3 9.5 12 4l9 5.5z', 'M5 10v8M9.7 10v8M14.3 10v8M19 10v8M3 21h18'],
  wallet: ['M4 7h15a1 1 0 0 1 1 1v11a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V6a2 2 0 0 1 2-2h11', 'M16 13.5h.01'],
  coins: ['M9 7c0-1.7 2.7-3 6-3s6 1.3 6 3-2.7 3-6 3-6-1.3-6-3z', 'M21 7v4c0 1.7-2.7 3-6 3', 'M3 13c0-1.7 2.7-3 6-3s6 1.3 6 3-2.7 3-6 3-6-1.3-6-3zm0 0v4c0 1.7 2.7 3 6 3s6-1.3 6-3v-4'],
  copy: ['M10 8h8a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2h-8a2 2 0 0 1-2-2v-8a2 2 0 0 1 2-2z', 'M16 8V6a2 2 0 0 0-2-2H6a2 2 0 0 0-2 2v8a2 2 0 0 0 2 2h2'],
  lock: ['M6 11h12a1 1 0 0 1 1 1v8a1 1 0 0 1-1 1H6a1 1 0 0 1-1-1v-8a1 1 0 0 1 1-1z', 'M8 11V8a4 4 0 0 1 8 0v3'],
};

/** An icon by name, sized by CSS (.icon). */
export function icon(name, extraClass = '') {
  return s('svg', {
    class: `icon ${extraClass}`.trim(),
    viewBox: '0 0 24 24',
    fill: 'none',
    stroke: 'currentColor',
    'stroke-width': '1.8',
    'stroke-linecap': 'round',
    'stroke-linejoin': 'round',
    'aria-hidden': 'true',
    focusable: 'false',
  }, PATHS[name].map((d) => s('path', { d })));
}
