/**
 * Turning ffmpeg's words into a camera status reason, and deciding whether retrying can help.
 *
 * Policy (this comment is its reference):
 * - a URL that is malformed or has a scheme ffmpeg is not allowed to open here fails at once and is never retried:
 *   only a config change can fix it;
 * - answers that say the stream is not there or not ours (400/401/403/404, "not found", "unauthorized", no such
 *   file, invalid data) are "permanent": after `permanentFailureThreshold` consecutive attempts that all end that way
 *   the camera is marked `failed`, and is then retried only every `failedRetryMs` (a mount may be fixed later);
 * - everything else (connection refused/reset/timed out, 5xx, the stream ending, no frames) is transient:
 *   `reconnecting` with exponential backoff, forever.
 */

const SCHEMES = new Set(['rtsp', 'rtsps', 'http', 'https', 'udp', 'srt', 'file']);

/** Why a camera URL can never work, or null when it looks usable. */
export function urlProblem(url: string): string | null {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url);
  if (m && m[1]!.length > 1) {
    const scheme = m[1]!.toLowerCase();
    if (!SCHEMES.has(scheme)) return `unsupported URL scheme "${scheme}:"`;
    if (scheme === 'file') return null;
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return 'malformed URL';
    }
    if (!u.hostname) return 'malformed URL: no host';
    if (u.port === '' && /^[a-z]+:\/\/[^/]*:(\/|$)/i.test(url)) return 'malformed URL: empty port';
    return null;
  }
  if (url.startsWith('/') || url.startsWith('.')) return null;
  return 'malformed URL: expected rtsp://, rtsps://, http(s)://, udp://, srt://, file:// or a file path';
}

export type FailureKind = 'permanent' | 'transient';

const PERMANENT =
  /\b(400|401|403|404|405|451)\b|not found|unauthori[sz]ed|forbidden|no such file|protocol not found|invalid data found|does not contain any stream|invalid argument/i;

export function classifyReason(reason: string): FailureKind {
  return PERMANENT.test(reason) ? 'permanent' : 'transient';
}

/**
 * A short, safe reason: without ffmpeg's `[rtsp @ 0x55…]` prefix and without credentials in URLs
 * (`rtsp://user:pass@host` → `rtsp://***@host`), since statuses are shown to operators and stored.
 */
export function cleanReason(line: string | null | undefined, maxLength = 300): string | null {
  if (!line) return null;
  let s = line.replace(/^\[[^\]]*@ ?0x[0-9a-f]+\]\s*/i, '').trim();
  s = s.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, '$1***@');
  if (s.length > maxLength) s = `${s.slice(0, maxLength - 1)}…`;
  return s || null;
}
