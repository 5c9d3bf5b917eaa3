"use client";

// React twin of web/trakt-widget.js for Next.js: same API contract, states, formatting and --trakt-* theming.
// Needs react >= 18 and swr >= 2. Data only ever reaches the DOM as React text/attributes (escaped).

import { useEffect, useId, useState } from "react";
import type { ReactNode } from "react";
import useSWR from "swr";

type Common = {
  year: number | null;
  poster_url: string | null;
  /** The item's page at the provider (`/api/watch/last`). */
  url?: string | null;
  /** The same page on `/api/trakt/last`. */
  trakt_url?: string | null;
  /** An instant, or a bare date (`2026-08-02`) when the provider logs days only (Letterboxd). */
  watched_at: string;
};
export type TraktMovie = Common & { type: "movie"; title: string | null };
export type TraktEpisode = Common & {
  type: "episode";
  /** Episode title; the backend sends "Show S2E7" (or "Show E148" without a season) when it has none. */
  title: string | null;
  show_title: string | null;
  season: number | null;
  episode: number | null;
};
export type TraktItem = TraktMovie | TraktEpisode;
/** What plays now: the item's fields (without `watched_at`) plus its window; progress is computed here. */
export type TraktWatching = (Omit<TraktMovie, "watched_at"> | Omit<TraktEpisode, "watched_at">) & {
  started_at: string;
  expires_at: string;
  action: "checkin" | "scrobble";
};
export type WatchProvider = "trakt" | "simkl" | "letterboxd";
export type TraktOk = {
  ok: true;
  data: TraktItem | null;
  /** Trakt only; null when idle. */
  watching?: TraktWatching | null;
  /** Present on `/api/watch/last`. */
  provider?: WatchProvider;
  cached_at: string;
  stale?: boolean;
};
/** `/api/watch/history?limit=N`: newest first. */
export type TraktHistoryOk = { ok: true; data: TraktItem[]; provider?: WatchProvider; cached_at: string; stale?: boolean };
export type TraktFailure = {
  ok: false;
  code: "UPSTREAM_UNAVAILABLE" | "REAUTH_REQUIRED" | (string & {});
  error: string;
};
export type TraktResponse = TraktOk | TraktFailure;

export class TraktError extends Error {
  constructor(readonly status: number, readonly code?: string) {
    super(code ?? `HTTP ${status}`);
  }
}

export async function traktFetcher<T = TraktOk>(url: string): Promise<T> {
  const res = await fetch(url, { headers: { Accept: "application/json" } });
  const body = (await res.json()) as TraktResponse;
  if (res.ok && body.ok) return body as T;
  throw new TraktError(res.status, (body as Partial<TraktFailure>).code);
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 31536e3], ["month", 2592e3], ["week", 604800], ["day", 86400], ["hour", 3600], ["minute", 60],
];
const rtf = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
export function ago(date: Date, now = Date.now()): string {
  const s = (now - date.getTime()) / 1000;
  for (const [unit, n] of UNITS) if (s >= n) return rtf.format(-Math.floor(s / n), unit);
  return "just now"; // also covers a slightly fast server clock
}

// A bare date (Letterboxd logs days, not times) must not become a precise-sounding "3 hours ago".
const DAY_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const dayFormat = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", timeZone: "UTC" });
export function watchedText(raw: string, when: Date, now = Date.now()): string {
  return DAY_ONLY.test(raw) ? `watched on ${dayFormat.format(when)}` : `watched ${ago(when, now)}`;
}

const PROVIDERS: Record<WatchProvider, string> = { trakt: "Trakt", simkl: "Simkl", letterboxd: "Letterboxd" };

/** The share of started_at…expires_at that has passed, 0…1. */
export function progress(w: Pick<TraktWatching, "started_at" | "expires_at">, now = Date.now()): number {
  const start = Date.parse(w.started_at), end = Date.parse(w.expires_at);
  return end > start ? Math.min(1, Math.max(0, (now - start) / (end - start))) : 0;
}

// Only http(s) may become an href/src: a "javascript:" URL in the data must never be clickable.
const safeUrl = (u: string | null | undefined) => (u && /^https?:\/\//i.test(u) ? u : undefined);

// SWR skips re-renders when the answer is unchanged, so "3 hours ago" needs its own clock.
function useNow(everyMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}

export type TraktWidgetProps = {
  /** The /api/watch/last endpoint, or /api/watch/history for `layout="list"`. */
  src?: string;
  /** "list" shows the last `limit` items from /api/watch/history. */
  layout?: "card" | "list";
  /** Rows in the list layout, 1–10 (default 5). */
  limit?: number;
  /** Seconds between refreshes (paused while the tab is hidden). */
  refresh?: number;
  className?: string;
};

export function TraktWidget({ src = "/api/watch/last", refresh = 300, layout = "card", limit = 5, className }: TraktWidgetProps) {
  return layout === "list"
    ? <ListWidget src={src} limit={limit} refresh={refresh} className={className} />
    : <CardWidget src={src} refresh={refresh} className={className} />;
}

function withLimit(src: string, limit: number): string {
  if (/[?&]limit=/.test(src)) return src;
  return `${src}${src.includes("?") ? "&" : "?"}limit=${Math.min(10, Math.max(1, Math.round(limit) || 5))}`;
}

function ListWidget({ src, limit, refresh, className }: { src: string; limit: number; refresh: number; className?: string }) {
  const { data, error } = useSWR<TraktHistoryOk, Error>(withLimit(src, limit), traktFetcher<TraktHistoryOk>, {
    refreshInterval: refresh * 1000,
    refreshWhenHidden: false,
  });
  const items = Array.isArray(data?.data) ? data.data.slice(0, limit) : null;
  const body = items
    ? items.length
      ? (
        <ol className="tlw-list" aria-label="Recently watched">
          {items.map((item, i) => <li key={`${item.watched_at}-${i}`}><Card item={item} provider={data?.provider} /></li>)}
        </ol>
      )
      : <Message title="Nothing watched yet" meta="Check back soon" />
    : error
      ? <Message title="No recent activity" />
      : <Skeleton />;
  return <Frame className={className}>{body}</Frame>;
}

function CardWidget({ src, refresh, className }: { src: string; refresh: number; className?: string }) {
  const { data, error } = useSWR<TraktOk, Error>(src, traktFetcher, {
    refreshInterval: refresh * 1000,
    refreshWhenHidden: false,
  });
  // Ticks every second only while something plays: moves the bar, and drops back to `data` once
  // expires_at has passed, without waiting for the next poll.
  const watching = data?.watching ?? null;
  const now = useNow(watching ? 1000 : 3_600_000);
  const live = watching && Date.parse(watching.expires_at) > now ? watching : null;
  // SWR keeps the last good data when a refresh fails, so only a first failure shows the message.
  const body = live
    ? <Card item={{ ...live, watched_at: live.started_at } as TraktItem} provider={data?.provider} share={progress(live, now)} />
    : data
    ? data.data
      ? <Card item={data.data} provider={data.provider} />
      : <Message title="Nothing watched yet" meta="Check back soon" />
    : error
      ? <Message title="No recent activity" />
      : <Skeleton />;
  return <Frame className={className}>{body}</Frame>;
}

function Frame({ className, children }: { className?: string; children: ReactNode }) {
  return (
    <div className={className ? `tlw ${className}` : "tlw"}>
      {/* Static stylesheet, no data in it; a raw <style> child would get HTML-escaped during SSR. */}
      <style dangerouslySetInnerHTML={{ __html: CSS }} />
      {children}
    </div>
  );
}

export default TraktWidget;

function Poster({ url, name }: { url?: string; name?: string }) {
  const [state, setState] = useState<"loading" | "ok" | "failed">("loading");
  // The placeholder is always painted; the image covers it only once it has really loaded, and is
  // dropped when it fails, so a broken-image icon never shows.
  return (
    <div className="tlw-poster">
      {url && state !== "failed" && (
        // eslint-disable-next-line @next/next/no-img-element -- remote TMDB poster, next/image needs config
        <img
          src={url}
          alt={`Poster: ${name}`}
          loading="lazy"
          decoding="async"
          width={200}
          height={300}
          className={state === "ok" ? "tlw-ok" : undefined}
          onLoad={() => setState("ok")}
          onError={() => setState("failed")}
        />
      )}
    </div>
  );
}

function Message({ title, meta }: { title: string; meta?: string }) {
  return (
    <div className="tlw-card">
      <Poster />
      <div className="tlw-body">
        <span className="tlw-kicker">Last watched</span>
        <strong className="tlw-title">{title}</strong>
        {meta && <span className="tlw-meta">{meta}</span>}
      </div>
    </div>
  );
}

function Skeleton() {
  return (
    <div className="tlw-card tlw-skel" aria-busy="true">
      <Poster />
      <div className="tlw-body">
        <i /><i /><i />
        <span className="tlw-sr">Loading…</span>
      </div>
    </div>
  );
}

/** `share` (0…1) marks an item being watched: "Watching now" and a progress bar instead of a time. */
function Card({ item, provider, share }: { item: TraktItem; provider?: WatchProvider; share?: number }) {
  const playing = share !== undefined;
  const id = useId();
  const now = useNow(60_000);
  const ep = item.type === "episode" ? item : null;
  // Anime with absolute numbering has an episode but no season (Simkl's "E148").
  const label = ep && ep.episode != null ? (ep.season != null ? `S${ep.season} E${ep.episode}` : `E${ep.episode}`) : null;
  const heading = String(ep?.show_title || item.title || "Untitled");
  // The backend names untitled episodes "Show S2E7" ("?" for a missing number); that would only repeat
  // the heading and the label.
  const standIns = ep ? [`${ep.show_title} S${ep.season ?? "?"}E${ep.episode ?? "?"}`, `${ep.show_title} E${ep.episode}`] : [];
  const sub = ep && ep.title && !standIns.includes(ep.title) ? ep.title : null;
  const dayOnly = DAY_ONLY.test(item.watched_at);
  const when = new Date(item.watched_at);
  const valid = !playing && !Number.isNaN(when.getTime());
  const url = safeUrl(item.url ?? item.trakt_url);
  const site = provider ? PROVIDERS[provider] : item.trakt_url ? "Trakt" : null;
  const ids = { k: `${id}k`, t: `${id}t`, s: `${id}s`, m: `${id}m`, p: `${id}p` };

  const content = (
    <>
      <Poster key={item.poster_url} url={safeUrl(item.poster_url)} name={heading} />
      <div className="tlw-body">
        <span className="tlw-kicker" id={ids.k}>{playing ? "Watching now" : "Last watched"}</span>
        <strong className="tlw-title" id={ids.t} title={heading}>{heading}</strong>
        {ep && (
          <span className="tlw-sub" id={ids.s}>
            <span className="tlw-ep">{label}</span>
            {sub && <span>{sub}</span>}
          </span>
        )}
        <span className="tlw-meta" id={ids.m}>
          {item.year ? String(item.year) : null}
          {item.year && valid ? " · " : null}
          {valid && (
            <time
              dateTime={dayOnly ? item.watched_at : when.toISOString()}
              title={dayOnly
                ? when.toLocaleDateString(undefined, { dateStyle: "full", timeZone: "UTC" })
                : when.toLocaleString(undefined, { dateStyle: "full", timeStyle: "short" })}
              suppressHydrationWarning
            >
              {watchedText(item.watched_at, when, now)}
            </time>
          )}
        </span>
        {playing && (
          <div className="tlw-bar" role="progressbar" aria-label="Progress" aria-valuemin={0} aria-valuemax={100}
            aria-valuenow={Math.round(share * 100)}>
            <i style={{ transform: `scaleX(${share})` }} />
          </div>
        )}
        {url && site && <span className="tlw-sr" id={ids.p}>on {site}</span>}
      </div>
    </>
  );
  return url ? (
    // Named by what was watched and where it opens; year and relative time follow as its description.
    <a
      className="tlw-card"
      href={url}
      aria-labelledby={[ids.k, ids.t, ep && ids.s, site && ids.p].filter(Boolean).join(" ")}
      aria-describedby={ids.m}
    >
      {content}
    </a>
  ) : (
    <div className="tlw-card">{content}</div>
  );
}

// Same look as the custom element (whose styles live in its shadow DOM); here every class is tlw-prefixed.
const FILM = `url('data:image/svg+xml,<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path fill-rule="evenodd" d="M3 3h18v18H3zm2 2v2h2V5zm12 0v2h2V5zM5 11v2h2v-2zm12 0v2h2v-2zM5 17v2h2v-2zm12 0v2h2v-2zM9 5v14h6V5z"/></svg>') center/42% no-repeat`;
const CSS = `
.tlw{--_bg:var(--trakt-bg,#fff);--_fg:var(--trakt-fg,#16181d);--_muted:var(--trakt-muted,#5c636e);
--_line:var(--trakt-border,#e2e5e9);--_ph:var(--trakt-placeholder,#eceef1);--_accent:var(--trakt-accent,#c8102e);
display:block;max-width:var(--trakt-max-width,26rem);font:var(--trakt-font,14px/1.4 system-ui,sans-serif);color:var(--_fg)}
@media (prefers-color-scheme:dark){.tlw{--_bg:var(--trakt-bg,#16181d);--_fg:var(--trakt-fg,#eef0f3);
--_muted:var(--trakt-muted,#9aa2ad);--_line:var(--trakt-border,#2c3038);--_ph:var(--trakt-placeholder,#262a31);
--_accent:var(--trakt-accent,#ff6b6b)}}
.tlw *{box-sizing:border-box}
.tlw-card{display:flex;gap:.9em;align-items:center;padding:.75em;min-height:8.25em;background:var(--_bg);color:inherit;
border:1px solid var(--_line);border-radius:var(--trakt-radius,.75em);text-decoration:none}
a.tlw-card:hover{border-color:var(--_muted)}
a.tlw-card:hover .tlw-title{text-decoration:underline}
a.tlw-card:focus-visible{outline:2px solid var(--_accent);outline-offset:2px}
.tlw-poster{position:relative;flex:none;width:var(--trakt-poster-width,4.5em);aspect-ratio:2/3;border-radius:.4em;
overflow:hidden;background:var(--_ph)}
.tlw-poster::before{content:"";position:absolute;inset:0;background:var(--_muted);opacity:.45;-webkit-mask:${FILM};mask:${FILM}}
.tlw-poster img{position:absolute;inset:0;width:100%;height:100%;object-fit:cover;opacity:0}
.tlw-poster img.tlw-ok{opacity:1}
.tlw-body{flex:1;display:flex;flex-direction:column;gap:.15em;min-width:0}
.tlw-kicker,.tlw-meta{color:var(--_muted);font-size:.85em}
.tlw-kicker{font-size:.78em;font-weight:500;letter-spacing:.02em}
.tlw-title{font-size:1.1em;font-weight:650;line-height:1.25;overflow-wrap:anywhere;
display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical;overflow:hidden}
.tlw-sub{display:flex;gap:.45em;align-items:baseline;min-width:0}
.tlw-sub span:last-child{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.tlw-ep{flex:none;padding:0 .4em;border-radius:.3em;background:var(--_ph);font-size:.85em;font-weight:600;
font-variant-numeric:tabular-nums}
.tlw-skel .tlw-poster::before{display:none}
.tlw-skel .tlw-body{flex:1}
.tlw-skel i{display:block;width:55%;height:.7em;margin:.25em 0;border-radius:.3em;background:var(--_ph)}
.tlw-skel i+i{width:85%;height:1em}
.tlw-skel i+i+i{width:40%;height:.8em}
.tlw-bar{height:.3em;margin-top:.35em;border-radius:.15em;background:var(--_ph);overflow:hidden}
.tlw-bar i{display:block;height:100%;background:var(--_accent);transform-origin:left}
.tlw-list{list-style:none;margin:0;padding:0;display:grid;gap:.5em}
.tlw-list .tlw-card{min-height:0;padding:.5em .6em}
.tlw-list .tlw-poster{width:var(--trakt-list-poster-width,2.75em)}
.tlw-list .tlw-title{font-size:1em;-webkit-line-clamp:1}
.tlw-list .tlw-kicker{display:none}
.tlw-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
@media (prefers-reduced-motion:no-preference){.tlw-poster img{transition:opacity .3s}a.tlw-card{transition:border-color .2s}
.tlw-skel .tlw-poster,.tlw-skel i{animation:tlw-pulse 1s ease-in-out infinite alternate}}
@keyframes tlw-pulse{to{opacity:.5}}`;
