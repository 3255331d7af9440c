// The built renderer's files (out/renderer), found for a request path with the same checks and
// the same headers whichever way they are served: over HTTP in serve mode (serve/server.ts), and
// through the app:// protocol in the Electron window (main/app-protocol.ts).
import { stat } from 'node:fs/promises'
import { extname, join, normalize, sep } from 'node:path'

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.json': 'application/json', '.woff2': 'font/woff2',
}

export const contentSecurityPolicy =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

export type RendererFile =
  | { status: 200; file: string; bytes: number; headers: Record<string, string> }
  | { status: 400 | 403 | 404; reason: string }

/** The file under root for a URL path ("/", "/assets/a.js", percent-encoded), or why there is none. */
export async function rendererFile(root: string, pathname: string): Promise<RendererFile> {
  let rel: string
  try {
    rel = decodeURIComponent(pathname)
  } catch {
    return { status: 400, reason: 'bad path' }
  }
  if (rel.includes('\0')) return { status: 400, reason: 'bad path' }
  if (rel === '/' || rel === '') rel = '/index.html'
  const file = normalize(join(root, rel))
  if (!file.startsWith(normalize(root) + sep)) return { status: 403, reason: 'forbidden' }
  try {
    const s = await stat(file)
    if (!s.isFile()) return { status: 404, reason: 'not found' }
    return {
      status: 200, file, bytes: s.size,
      headers: {
        'content-type': types[extname(file)] ?? 'application/octet-stream',
        'content-security-policy': contentSecurityPolicy,
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-cache',
      },
    }
  } catch {
    return { status: 404, reason: 'not found' }
  }
}
