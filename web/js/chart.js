// A small SVG line chart: drawn at the container's real width (so text stays
// crisp), redrawn on resize, readable by pointer and by arrow keys. Colours
// come from CSS classes, so light and dark mode need nothing here.

import { h, s, uid } from './dom.js';

const HEIGHT = 220;
const PAD = { top: 18, right: 10, bottom: 28, left: 0 };

// A step of 1, 2 or 5 times a power of ten, near `raw`.
function niceStep(raw) {
  const power = 10 ** Math.floor(Math.log10(raw));
  const f = raw / power;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * power;
}

function scale(values) {
  let min = Math.min(...values);
  let max = Math.max(...values);
  if (min === max) {
    const pad = Math.max(Math.abs(max) * 0.1, 100);
    min -= pad;
    max += pad;
  }
  const step = niceStep((max - min) / 3);
  let lo = Math.floor(min / step) * step;
  if (lo < 0 && Math.min(...values) >= 0) lo = 0;
  const hi = Math.ceil(max / step) * step;
  const ticks = [];
  for (let v = lo; v <= hi + step / 2; v += step) ticks.push(v);
  return { lo, hi, ticks };
}

const r1 = (n) => Math.round(n * 10) / 10;

/**
 * lineChart({points: [{date, value}], label, formatValue, formatAxis, formatDate, summary})
 * → element. `label` names the chart for assistive technology; `summary` is
 * shown when no point is selected.
 */
export function lineChart({ points, label, formatValue, formatAxis, formatDate, summary }) {
  const readout = h('p', { class: 'chart-readout', 'aria-live': 'polite' }, summary);
  const svgHost = h('div', { class: 'chart-canvas' });
  const first = points[0];
  const last = points[points.length - 1];
  const el = h('div', {
    class: 'chart',
    tabindex: '0',
    role: 'group',
    'aria-roledescription': 'chart',
    'aria-label': `${label}: ${formatValue(first.value)} on ${formatDate(first.date)}, ${formatValue(last.value)} on ${formatDate(last.date)}. Use the left and right arrow keys to read each day.`,
  }, readout, svgHost);

  const values = points.map((p) => p.value);
  const { lo, hi, ticks } = scale(values);
  let selected = null;
  let geometry = null;

  function draw() {
    const width = Math.max(svgHost.clientWidth, 200);
    const innerW = width - PAD.left - PAD.right;
    const innerH = HEIGHT - PAD.top - PAD.bottom;
    const x = (i) => r1(PAD.left + (i * innerW) / Math.max(points.length - 1, 1));
    const y = (v) => r1(PAD.top + innerH - ((v - lo) / (hi - lo)) * innerH);
    geometry = { x, y, width };
    const line = points.map((p, i) => `${i ? 'L' : 'M'}${x(i)},${y(p.value)}`).join('');
    const area = `${line}L${x(points.length - 1)},${PAD.top + innerH}L${x(0)},${PAD.top + innerH}Z`;
    const gradient = uid('chart-fill');
    const xTicks = [0, Math.round((points.length - 1) / 3), Math.round((2 * (points.length - 1)) / 3), points.length - 1];

    const svg = s('svg', { class: 'chart-svg', viewBox: `0 0 ${width} ${HEIGHT}`, width, height: HEIGHT, 'aria-hidden': 'true' },
      s('defs', {}, s('linearGradient', { id: gradient, x1: '0', y1: '0', x2: '0', y2: '1' },
        s('stop', { offset: '0', class: 'chart-stop-top' }),
        s('stop', { offset: '1', class: 'chart-stop-bottom' }))),
      ticks.map((t) => s('g', {},
        s('line', { class: 'chart-grid', x1: 0, x2: width, y1: y(t), y2: y(t) }),
        s('text', { class: 'chart-label', x: 2, y: y(t) - 5 }, formatAxis(t)))),
      xTicks.map((i, n) => s('text', {
        class: 'chart-label',
        x: x(i),
        y: HEIGHT - 8,
        'text-anchor': n === 0 ? 'start' : n === xTicks.length - 1 ? 'end' : 'middle',
      }, formatDate(points[i].date))),
      s('path', { class: 'chart-area', d: area, fill: `url(#${gradient})` }),
      s('path', { class: 'chart-line', d: line }),
      s('circle', { class: 'chart-dot', cx: x(points.length - 1), cy: y(last.value), r: 4 }),
      s('g', { class: 'chart-cursor', visibility: selected === null ? 'hidden' : 'visible' },
        s('line', { class: 'chart-cursor-line', x1: 0, x2: 0, y1: PAD.top, y2: PAD.top + innerH }),
        s('circle', { class: 'chart-cursor-dot', r: 5, cx: 0, cy: 0 })));
    svgHost.replaceChildren(svg);
    if (selected !== null) select(selected);
  }

  function select(i) {
    selected = i;
    const cursor = svgHost.querySelector('.chart-cursor');
    if (i === null) {
      cursor?.setAttribute('visibility', 'hidden');
      readout.textContent = summary;
      return;
    }
    const p = points[i];
    const cx = geometry.x(i);
    cursor.setAttribute('visibility', 'visible');
    cursor.querySelector('line').setAttribute('x1', cx);
    cursor.querySelector('line').setAttribute('x2', cx);
    const dot = cursor.querySelector('circle');
    dot.setAttribute('cx', cx);
    dot.setAttribute('cy', geometry.y(p.value));
    readout.textContent = `${formatDate(p.date)}: ${formatValue(p.value)}`;
  }

  svgHost.addEventListener('pointermove', (e) => {
    const rect = svgHost.getBoundingClientRect();
    const fraction = (e.clientX - rect.left - PAD.left) / (rect.width - PAD.left - PAD.right);
    select(Math.min(points.length - 1, Math.max(0, Math.round(fraction * (points.length - 1)))));
  });
  svgHost.addEventListener('pointerleave', () => select(null));
  el.addEventListener('blur', () => select(null));
  el.addEventListener('keydown', (e) => {
    const keys = { ArrowLeft: -1, ArrowRight: 1, Home: -Infinity, End: Infinity };
    if (!(e.key in keys)) return;
    e.preventDefault();
    const from = selected === null ? points.length - 1 : selected;
    select(Math.min(points.length - 1, Math.max(0, from + keys[e.key])));
  });

  new ResizeObserver(() => {
    if (!geometry || Math.abs(geometry.width - svgHost.clientWidth) > 1) draw();
  }).observe(svgHost);
  return el;
}
