// Who may talk to serve mode, decided from a request's headers before anything else reads it.
// Every check is a pure function of the raw header values, so a malformed request is a verdict
// (400, 401, 403), never an exception thrown out of a listener.
//
// On loopback there is no token: the only defence is that the request really comes from this
// machine's own page. DNS rebinding defeats an Origin == Host comparison (the attacker controls
// both names), so on loopback the Host must be a loopback name or address with our port, and a
// browser's Origin must be that same host. Off loopback the token is required as well.
import { timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'

export const loopbackHosts = new Set(['127.0.0.1', '::1', 'localhost'])

/** The shortest token serve mode accepts: 16 characters of a base64url alphabet is 96 bits. */
export const minTokenLength = 16

/** Refuses a token that would turn authentication off or make it guessable. */
export function checkToken(token: string | undefined): void {
  if (token === undefined) return
  if (token.length < minTokenLength || !/^[A-Za-z0-9._~-]+$/.test(token))
    throw new Error(
      `--token must be at least ${minTokenLength} characters of A-Z, a-z, 0-9, '.', '_', '~' or '-' ` +
        `(got ${token.length === 0 ? 'an empty token' : `${token.length} characters`}); leave it out to have one generated`,
    )
}

export interface Target {
  pathname: string
  params: URLSearchParams
}

/** The request target as path and query, or null when it is not an origin-form target ("/..."). */
export function parseTarget(raw: string | undefined): Target | null {
  if (!raw || raw[0] !== '/' || raw.startsWith('//') || raw.length > 8192) return null
  try {
    const url = new URL(raw, 'http://serve.invalid')
    if (url.host !== 'serve.invalid') return null
    return { pathname: url.pathname, params: url.searchParams }
  } catch {
    return null
  }
}

/** The host and port of a Host header ("name:port", "[v6]:port"), lower-cased, or null. */
export function parseHost(header: string | undefined): { name: string; port: number | null } | null {
  if (!header || header.length > 300) return null
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/i.exec(header)
  if (!m) return null
  const name = m[1].toLowerCase().replace(/^\[(.*)\]$/, '$1')
  const port = m[2] === undefined ? null : Number(m[2])
  return port !== null && port > 65535 ? null : { name, port }
}

export interface Verdict {
  status: 200 | 400 | 401 | 403
  reason: string
}
const allow: Verdict = { status: 200, reason: 'ok' }

export interface GuardOptions {
  port: number // the port the server listens on
  loopbackOnly: boolean // bound to a loopback address
  token: string | null
}

export function tokenMatches(expected: string, given: string | null | undefined): boolean {
  if (!given) return false
  const a = Buffer.from(expected)
  const b = Buffer.from(given)
  return a.length === b.length && timingSafeEqual(a, b)
}

export function cookieToken(headers: IncomingHttpHeaders): string | undefined {
  const m = /(?:^|;\s*)mgtoken=([^;]*)/.exec(headers.cookie ?? '')
  return m?.[1]
}

/**
 * Whether a request may proceed. An Origin, when there is one, must be this server's own (every
 * browser sends one on a WebSocket and on a POST). A POST must also be application/json or
 * application/octet-stream, which no HTML form can send and which make a browser ask (OPTIONS,
 * refused) before sending them cross-site: another site's page cannot make one at all.
 */
export function checkRequest(
  o: GuardOptions,
  headers: IncomingHttpHeaders,
  queryToken: string | null,
  kind: 'read' | 'socket' | 'post',
): Verdict {
  const host = parseHost(headers.host)
  if (!host) return { status: 400, reason: 'the Host header is missing or malformed' }
  if (o.loopbackOnly && (!loopbackHosts.has(host.name) || host.port !== o.port))
    return { status: 403, reason: `this server answers only to 127.0.0.1:${o.port} or localhost:${o.port}` }
  const origin = headers.origin
  if (origin !== undefined && origin.toLowerCase() !== `http://${headers.host?.toLowerCase()}`)
    return { status: 403, reason: 'requests from another site are refused' }
  if (kind === 'post' && !/^application\/(json|octet-stream)\s*(;|$)/i.test(headers['content-type'] ?? ''))
    return { status: 403, reason: 'a POST must be application/json (or application/octet-stream for an upload)' }
  if (o.token && !tokenMatches(o.token, queryToken) && !tokenMatches(o.token, cookieToken(headers)))
    return { status: 401, reason: 'a token is required: open the URL that `npm run serve` printed' }
  return allow
}
