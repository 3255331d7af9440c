// Test support: HTTP requests and WebSocket frames written byte by byte onto a TCP socket, so a
// test can send what no well-behaved client library would (a `//` target, an unmasked frame,
// invalid UTF-8, a length beyond the limit).
import { randomBytes } from 'node:crypto'
import { connect, type Socket } from 'node:net'

/** Sends `request` as is and resolves with the server's first response (or all it wrote before closing or timeoutMs). */
export function rawExchange(port: number, request: string | Buffer, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    const done = (): void => {
      clearTimeout(timer)
      socket.destroy()
      resolve(Buffer.concat(chunks).toString('latin1'))
    }
    const timer = setTimeout(done, timeoutMs)
    socket.on('data', (c) => {
      chunks.push(c)
      // one whole response (headers and a content-length body) is enough: keep-alive would wait
      const text = Buffer.concat(chunks).toString('latin1')
      const end = text.indexOf('\r\n\r\n')
      const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end))
      if (end >= 0 && length && text.length >= end + 4 + Number(length[1])) done()
    })
    socket.on('end', done)
    socket.on('close', done)
    socket.on('error', done)
    socket.write(request)
  })
}

/** The status code of the first response in `text`, or 0 when there is none. */
export function statusOf(text: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)
}

export function upgradeRequest(path: string, headers: Record<string, string>): string {
  const lines = [
    `GET ${path} HTTP/1.1`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
    'Sec-WebSocket-Version: 13',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ]
  return `${lines.join('\r\n')}\r\n\r\n`
}

/** An open WebSocket on a raw socket, after a real handshake. */
export function rawWebSocket(port: number, path = '/ws', headers: Record<string, string> = {}): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let head = ''
    const onData = (c: Buffer): void => {
      head += c.toString('latin1')
      const end = head.indexOf('\r\n\r\n')
      if (end < 0) return
      socket.off('data', onData)
      if (statusOf(head) !== 101) return reject(new Error(`handshake refused: ${head.split('\r\n')[0]}`))
      const rest = Buffer.from(head.slice(end + 4), 'latin1')
      if (rest.length) socket.unshift(rest)
      resolve(socket)
    }
    socket.on('data', onData)
    socket.on('error', reject)
    socket.write(upgradeRequest(path, { Host: `127.0.0.1:${port}`, ...headers }))
  })
}

export interface FrameOptions {
  opcode?: number // 1 text, 2 binary, 8 close, 9 ping
  fin?: boolean
  mask?: boolean // clients must mask; false sends a protocol violation
  announcedLength?: number // the length written in the header, whatever the payload is
}

export function frame(payload: Buffer | string, o: FrameOptions = {}): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload
  const len = o.announcedLength ?? data.length
  const mask = o.mask ?? true
  const head: number[] = [((o.fin ?? true) ? 0x80 : 0) | (o.opcode ?? 1)]
  const m = mask ? 0x80 : 0
  if (len < 126) head.push(m | len)
  else if (len < 65536) head.push(m | 126, len >> 8, len & 255)
  else {
    head.push(m | 127)
    const b = Buffer.alloc(8)
    b.writeBigUInt64BE(BigInt(len))
    head.push(...b)
  }
  if (!mask) return Buffer.concat([Buffer.from(head), data])
  const key = randomBytes(4)
  const masked = Buffer.from(data.map((x, i) => x ^ key[i % 4]))
  return Buffer.concat([Buffer.from(head), key, masked])
}

/** Resolves with the close code of the first close frame the server sends, or null if it just hangs up. */
export function closeCode(socket: Socket, timeoutMs = 3000): Promise<number | null> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0)
    const finish = (code: number | null): void => {
      clearTimeout(timer)
      socket.destroy()
      resolve(code)
    }
    const timer = setTimeout(() => finish(null), timeoutMs)
    socket.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c])
      // server frames are unmasked: byte 0 = FIN|opcode, byte 1 = length (< 126 for a close)
      while (buf.length >= 2) {
        const len = buf[1] & 0x7f
        const headLen = len === 126 ? 4 : len === 127 ? 10 : 2
        const bodyLen = len === 126 ? buf.readUInt16BE(2) : len === 127 ? Number(buf.readBigUInt64BE(2)) : len
        if (buf.length < headLen + bodyLen) return
        if ((buf[0] & 0x0f) === 8) return finish(bodyLen >= 2 ? buf.readUInt16BE(headLen) : 1005)
        buf = buf.subarray(headLen + bodyLen)
      }
    })
    socket.on('close', () => finish(null))
    socket.on('error', () => finish(null))
  })
}
