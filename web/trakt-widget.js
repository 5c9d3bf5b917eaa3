// <trakt-last-watched src="/api/watch/last" refresh="300">: "the last thing I watched" on Trakt, Simkl
// or Letterboxd (`/api/trakt/last` works too on a Trakt deployment), or "watching now" with a live
// progress bar while something plays. layout="list" limit="5" with src="/api/watch/history" lists the
// last few items instead.
// Dependency-free custom element; attributes and theming in web/README.md. Every piece of API data
// reaches the DOM as a Text node or an attribute value, never as markup: titles can contain anything.

const FILM = `url('data:image/svg+xml,<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path fill-rule="evenodd" d="M3 3h18v18H3zm2 2v2h2V5zm12 0v2h2V5zM5 11v2h2v-2zm12 0v2h2v-2zM5 17v2h2v-2zm12 0v2h2v-2zM9 5v14h6V5z"/></svg>') center/42% no-repeat`;

const CSS = `
:host{--_bg:var(--trakt-bg,#fff);--_fg:var(--trakt-fg,#16181d);--_muted:var(--trakt-muted,#5c636e);
--_line:var(--trakt-border,#e2e5e9);--_ph:var(--trakt-placeholder,#eceef1);--_accent:var(--trakt-accent,#c8102e);
display:block;max-width:var(--trakt-max-width,26rem);font:var(--trakt-font,14px/1.4 system-ui,sans-serif);color:var(--_fg)}
@media (prefers-color-scheme:dark){:host{--_bg:var(--trakt-bg,#16181d);--_fg:var(--trakt-fg,#eef0f3);
--_muted:var(--trakt-muted,#9aa2ad);--_line:var(--trakt-border,#2c3038);--_ph:var(--trakt-placeholder,#262a31);
--_accent:var(--trakt-accent,#ff6b6b)}}
:host([hidden]){display:none}
*{box-sizing:border-box}
.card{display:flex;gap:.9em;align-items:center;padding:.75em;min-height:8.25em;background:var(--_bg);color:inherit;
border:1px solid var(--_line);border-radius:var(--trakt-radius,.75em);text-decoration:none}
a.card:hover{border-color:var(--_muted)}
a.card:hover .title{text-decoration:underline}
a.card:focus-visible{outline:2px solid var(--_accent);outline-offset:2px}
.poster{position:relative;flex:none;width:var(--trakt-poster-width,4.5em);aspect-ratio:2/3;border-radius:.4em;
overflow:hidden;background:var(--_ph)}
.poster::before{content:"";position:absolute;inset:0;background:var(--_muted);opacity:.45;-webkit-mask:${FILM};mask:${FILM}}
img{position:absolute;inset:0;width:100%;height:100%;object-fit:cover;opacity:0}
img.ok{opacity:1}
.body{flex:1;display:flex;flex-direction:column;gap:.15em;min-width:0}
.kicker,.meta{color:var(--_muted);font-size:.85em}
.kicker{font-size:.78em;font-weight:500;letter-spacing:.02em}
.title{font-size:1.1em;font-weight:650;line-height:1.25;overflow-wrap:anywhere;
display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical;overflow:hidden}
.sub{display:flex;gap:.45em;align-items:baseline;min-width:0}
.sub span:last-child{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.ep{flex:none;padding:0 .4em;border-radius:.3em;background:var(--_ph);font-size:.85em;font-weight:600;
font-variant-numeric:tabular-nums}
.skel .poster::before{display:none}
.skel .body{flex:1}
.skel i{display:block;width:55%;height:.7em;margin:.25em 0;border-radius:.3em;background:var(--_ph)}
.skel i+i{width:85%;height:1em}
.skel i+i+i{width:40%;height:.8em}
.bar{height:.3em;margin-top:.35em;border-radius:.15em;background:var(--_ph);overflow:hidden}
.bar i{display:block;height:100%;background:var(--_accent);transform-origin:left;transform:scaleX(0)}
.live .kicker{color:var(--_accent);font-weight:650}
.list{list-style:none;margin:0;padding:0;display:grid;gap:.5em}
.list .card{min-height:0;padding:.5em .6em}
.list .poster{width:var(--trakt-list-poster-width,2.75em)}
.list .title{font-size:1em;-webkit-line-clamp:1}
.list .kicker{display:none}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
@media (prefers-reduced-motion:no-preference){img{transition:opacity .3s}a.card{transition:border-color .2s}
.skel .poster,.skel i{animation:pulse 1s ease-in-out infinite alternate}}
@keyframes pulse{to{opacity:.5}}`;

// One stylesheet shared by every instance. Constructed sheets also pass a strict CSP (no 'unsafe-inline');
// older browsers get a <style> element instead.
let sheet;
const adoptStyles = (root) => {
  if (!('adoptedStyleSheets' in Document.prototype)) return root.append(h('style', {}, CSS));
  if (!sheet) (sheet = new CSSStyleSheet()).replaceSync(CSS);
  root.adoptedStyleSheets = [sheet];
};

// Tiny element builder. String children become Text nodes (same safety as textContent).
const h = (tag, attrs, ...kids) => {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v != null) el.setAttribute(k, v);
  el.append(...kids.filter((k) => k || k === 0)); // drops null/false/'' from conditional children
  return el;
};

// Only http(s) may become an href/src: a "javascript:" URL in the data must never be clickable.
const safeUrl = (u) => (/^https?:\/\//i.test(u ?? '') ? u : null);

const UNITS = [['year', 31536e3], ['month', 2592e3], ['week', 604800], ['day', 86400], ['hour', 3600], ['minute', 60]];
const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
export const ago = (date, now = Date.now()) => {
  const s = (now - date) / 1000;
  for (const [unit, n] of UNITS) if (s >= n) return rtf.format(-Math.floor(s / n), unit);
  return 'just now'; // also covers a slightly fast server clock
};

// A bare date (Letterboxd logs days, not times) must not become a precise-sounding "3 hours ago".
const DAY_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const dayFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });
export const watchedText = (raw, when, now = Date.now()) =>
  DAY_ONLY.test(raw) ? `watched on ${dayFormat.format(when)}` : `watched ${ago(when, now)}`;

const PROVIDERS = { trakt: 'Trakt', simkl: 'Simkl', letterboxd: 'Letterboxd' };

const kicker = (text = 'Last watched', id = 'k') => h('span', { class: 'kicker', id }, text);

// The share of started_at…expires_at that has passed, 0…1; clients compute it so bodies stay cached.
export const progress = (w, now = Date.now()) => {
  const start = Date.parse(w.started_at), end = Date.parse(w.expires_at);
  return end > start ? Math.min(1, Math.max(0, (now - start) / (end - start))) : 0;
};

const bar = () => h('div', { class: 'bar', part: 'progress', role: 'progressbar', 'aria-label': 'Progress',
  'aria-valuemin': 0, 'aria-valuemax': 100 }, h('i'));

const setBar = (el, share) => {
  el.setAttribute('aria-valuenow', Math.round(share * 100));
  el.firstChild.style.transform = `scaleX(${share})`; // CSSOM, not a style attribute: passes a strict CSP
};

// The poster box always paints the placeholder; the <img> sits on top, invisible until it has really
// loaded, and is removed if it fails, so a broken-image icon can never show.
const poster = (url, name) => {
  const box = h('div', { class: 'poster', part: 'poster' });
  if (url) {
    const img = h('img', { alt: `Poster: ${name}`, loading: 'lazy', decoding: 'async', width: 200, height: 300 });
    img.onload = () => img.classList.add('ok');
    img.onerror = () => img.remove();
    img.src = url;
    box.append(img);
  }
  return box;
};

const message = (title, meta) =>
  h('div', { class: 'card', part: 'card' }, poster(), h('div', { class: 'body' }, kicker(),
    h('strong', { class: 'title', part: 'title' }, title), meta && h('span', { class: 'meta' }, meta)));

const skeleton = () =>
  h('div', { class: 'card skel', part: 'card', 'aria-busy': 'true' }, poster(),
    h('div', { class: 'body' }, h('i'), h('i'), h('i'), h('span', { class: 'sr' }, 'Loading…')));

// `w` marks an item being watched (it has no watched_at); `id` keeps ids unique in a list.
const card = (d, provider, { w = null, id = '' } = {}) => {
  const ep = d.type === 'episode';
  // Anime with absolute numbering has an episode but no season (Simkl's "E148").
  const label = ep && d.episode != null ? (d.season != null ? `S${d.season} E${d.episode}` : `E${d.episode}`) : null;
  const heading = String((ep && d.show_title) || d.title || 'Untitled');
  // The backend names untitled episodes "Show S2E7"; that would only repeat the heading and the label.
  // The API's stand-in for an untitled episode ("Show S2E7", "?" for a missing number) repeats the label.
  const standIns = [`${d.show_title} S${d.season ?? "?"}E${d.episode ?? "?"}`, `${d.show_title} E${d.episode}`];
  const sub = ep && d.title && !standIns.includes(d.title) ? String(d.title) : null;
  const raw = String(d.watched_at ?? '');
  const dayOnly = DAY_ONLY.test(raw);
  const when = new Date(raw);
  const time = w || isNaN(when) ? null : h('time', {
    datetime: dayOnly ? raw : when.toISOString(),
    title: dayOnly ? when.toLocaleDateString(undefined, { dateStyle: 'full', timeZone: 'UTC' })
      : when.toLocaleString(undefined, { dateStyle: 'full', timeStyle: 'short' }),
  }, watchedText(raw, when));
  const url = safeUrl(d.url ?? d.trakt_url);
  const site = PROVIDERS[provider] ?? (d.trakt_url ? 'Trakt' : null);
  return h(url ? 'a' : 'div', {
    class: 'card', part: 'card', href: url,
    // Name the link by what was watched and where it opens; year and time follow as its description.
    'aria-labelledby': url && ['k', 't', ep && 's', site && 'p'].filter(Boolean).map((x) => id + x).join(' '),
    'aria-describedby': url && `${id}m`,
  },
  poster(safeUrl(d.poster_url), heading),
  h('div', { class: 'body' }, kicker(w ? 'Watching now' : 'Last watched', `${id}k`),
    h('strong', { class: 'title', part: 'title', id: `${id}t`, title: heading }, heading), // tooltip: may be clamped
    ep && h('span', { class: 'sub', id: `${id}s` }, label && h('span', { class: 'ep' }, label), sub && h('span', {}, sub)),
    h('span', { class: 'meta', id: `${id}m` }, d.year ? String(d.year) : null, d.year && time ? ' · ' : null, time),
    w && bar(),
    url && site && h('span', { class: 'sr', id: `${id}p` }, `on ${site}`)));
};

const list = (items, provider) =>
  h('ol', { class: 'list', part: 'list', 'aria-label': 'Recently watched' },
    ...items.map((d, i) => h('li', {}, card(d, provider, { id: `i${i}` }))));

export class TraktLastWatched extends HTMLElement {
  static observedAttributes = ['src', 'refresh', 'layout', 'limit'];
  #root = this.attachShadow({ mode: 'open' });
  #view = h('div', { part: 'root' });
  #ctrl = null;
  #timer = 0;
  #last = 0;
  #key; // JSON of the data on screen; undefined until something real was shown
  #body = null; // the last good answer
  #ticker = 0; // advances the progress bar while something plays
  #on = false;

  constructor() {
    super();
    adoptStyles(this.#root);
    this.#root.append(this.#view);
    this.#view.append(skeleton());
  }

  get #list() {
    return this.getAttribute('layout') === 'list';
  }

  get #limit() {
    const n = parseInt(this.getAttribute('limit'), 10);
    return n >= 1 && n <= 10 ? n : 5;
  }

  get #interval() {
    const s = parseFloat(this.getAttribute('refresh'));
    return (s > 0 ? s : 300) * 1000;
  }

  connectedCallback() {
    this.#on = true;
    document.addEventListener('visibilitychange', this.#schedule);
    this.#load();
  }

  disconnectedCallback() {
    this.#on = false;
    document.removeEventListener('visibilitychange', this.#schedule);
    clearTimeout(this.#timer);
    clearInterval(this.#ticker);
    this.#ctrl?.abort();
  }

  attributeChangedCallback(name) {
    if (this.#on) name === 'refresh' ? this.#schedule() : this.#load();
  }

  // Polls only while the tab is visible; on return it refreshes at once if a refresh came due meanwhile.
  #schedule = () => {
    clearTimeout(this.#timer);
    if (!this.#on || document.hidden || this.#ctrl) return;
    this.#timer = setTimeout(() => this.#load(), this.#last + this.#interval - Date.now());
  };

  async #load() {
    clearTimeout(this.#timer);
    this.#ctrl?.abort();
    const ctrl = (this.#ctrl = new AbortController());
    this.#last = Date.now();
    try {
      const src = this.getAttribute('src');
      if (!src) throw Error('no src');
      const url = new URL(src, location.href);
      if (this.#list && !url.searchParams.has('limit')) url.searchParams.set('limit', this.#limit);
      const res = await fetch(url, { signal: ctrl.signal, headers: { Accept: 'application/json' } });
      const body = await res.json();
      if (!res.ok || !body?.ok) throw Error(body?.code || res.status);
      this.#body = body;
      this.#render(); // "stale": true is still worth showing as is
    } catch {
      if (ctrl.signal.aborted) return;
      // A failed refresh keeps the card already on screen; only nothing-shown-yet turns into the message.
      if (this.#key === undefined) this.#view.replaceChildren(message('No recent activity'));
    }
    if (ctrl.signal.aborted) return;
    this.#ctrl = null;
    this.#schedule();
  }

  // Also runs every second while something plays: it moves the bar, and once expires_at has passed it
  // falls back to `data` at once instead of waiting for the next poll.
  #render = () => {
    const { data = null, watching = null, provider } = this.#body ?? {};
    const asList = this.#list && Array.isArray(data);
    const live = !asList && watching && Date.parse(watching.expires_at) > Date.now() ? watching : null;
    const key = JSON.stringify([data, live, provider, asList && this.#limit]);
    // Same answer: only age the relative times, so the poster does not flash on every poll.
    if (key === this.#key) {
      for (const time of this.#root.querySelectorAll('time')) time.textContent = watchedText(time.dateTime, new Date(time.dateTime));
    } else {
      this.#key = key;
      const empty = asList ? !data.length : !data && !live;
      this.#view.replaceChildren(empty ? message('Nothing watched yet', 'Check back soon')
        : asList ? list(data.slice(0, this.#limit), provider)
          : live ? card(live, provider, { w: live }) : card(data, provider));
      this.#view.classList.toggle('live', !!live);
    }
    clearInterval(this.#ticker);
    const el = this.#root.querySelector('.bar');
    if (el) {
      setBar(el, progress(live));
      this.#ticker = setInterval(this.#render, 1000);
    }
  };
}

if (!customElements.get('trakt-last-watched')) customElements.define('trakt-last-watched', TraktLastWatched);
