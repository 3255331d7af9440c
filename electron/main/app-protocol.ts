// The window loads the renderer from app://renderer/ rather than file://: a file:// page may
// read any local file its scripts name, and every file:// URL is one origin. app:// serves only
// the built renderer's folder, with the CSP header, and gives the page an origin of its own.
// No electron import here: the handler is a plain Request -> Response, tested as Node.
import { readFile } from 'node:fs/promises'
import { rendererFile } from '../services/renderer-files'

export const appScheme = 'app'
export const appOrigin = 'app://renderer'
export const appIndexUrl = `${appOrigin}/index.html`

/** For protocol.registerSchemesAsPrivileged, before the app is ready. */
export const appSchemePrivileges = { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, codeCache: true }

/** Answers one app:// request from the files under root; other hosts and methods are refused. */
export async function appResponse(root: string, request: Request): Promise<Response> {
  let url: URL
  try {
    url = new URL(request.url)
  } catch {
    return new Response('bad request', { status: 400 })
  }
  if (`${url.protocol}//${url.host}` !== appOrigin) return new Response('not found', { status: 404 })
  if (request.method !== 'GET' && request.method !== 'HEAD') return new Response('method not allowed', { status: 405 })
  const found = await rendererFile(root, url.pathname)
  if (found.status !== 200) return new Response(found.reason, { status: found.status })
  const body = request.method === 'HEAD' ? null : await readFile(found.file).catch(() => null)
  if (request.method === 'GET' && body === null) return new Response('not found', { status: 404 })
  return new Response(body, { status: 200, headers: { ...found.headers, 'content-length': String(found.bytes) } })
}
