// The renderer's files over HTTP, for serve mode.
import { createReadStream } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { pipeline } from 'node:stream'
import { rendererFile } from '../services/renderer-files'

/** Answers a GET or HEAD for `pathname` (already parsed by the server) from the files under root. */
export async function serveStatic(root: string, pathname: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const found = await rendererFile(root, pathname)
  if (found.status !== 200) return void res.writeHead(found.status, { 'content-type': 'text/plain' }).end(found.reason)
  res.writeHead(200, { ...found.headers, 'content-length': found.bytes })
  if (req.method === 'HEAD') return void res.end()
  // a file removed or unreadable after the stat ends this response, not the process
  pipeline(createReadStream(found.file), res, () => {})
}
