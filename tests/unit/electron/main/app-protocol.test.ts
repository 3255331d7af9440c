// app://renderer/ as the window sees it: the built renderer's files with the CSP header, and
// nothing outside that folder, whatever the path says.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { appResponse } from '../../../../electron/main/app-protocol'
import { externalLinkPolicy } from '../../../../electron/main/security'
import { tempDir } from '../../../support/engine'

describe('app:// protocol', () => {
  let root: string
  beforeAll(() => {
    const dir = tempDir('mg-app-')
    root = join(dir, 'renderer')
    mkdirSync(join(root, 'assets'), { recursive: true })
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>t</title>')
    writeFileSync(join(root, 'assets', 'a.js'), 'console.log(1)')
    writeFileSync(join(dir, 'secret.txt'), 'no')
  })
  const get = (url: string, method = 'GET'): Promise<Response> => appResponse(root, new Request(url, { method }))

  it('serves the renderer with its content type and the CSP', async () => {
    const page = await get('app://renderer/index.html')
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
    expect(page.headers.get('content-type')).toContain('text/html')
    expect(await page.text()).toContain('<title>t</title>')
    expect((await get('app://renderer/')).status).toBe(200)
    const js = await get('app://renderer/assets/a.js')
    expect(js.headers.get('content-type')).toContain('javascript')
    expect((await get('app://renderer/assets/a.js', 'HEAD')).status).toBe(200)
  })

  it('refuses paths outside the folder, other hosts and other methods', async () => {
    expect((await get('app://renderer/..%2Fsecret.txt')).status).toBe(403)
    expect((await get('app://renderer/%2e%2e/secret.txt')).status).toBe(404) // the URL parser folds it to /secret.txt
    expect((await get('app://renderer/%00')).status).toBe(400)
    expect((await get('app://renderer/%zz')).status).toBe(400)
    expect((await get('app://renderer/missing.js')).status).toBe(404)
    expect((await get('app://renderer/assets')).status).toBe(404)
    expect((await get('app://other/index.html')).status).toBe(404)
    expect((await get('app://renderer/index.html', 'POST')).status).toBe(405)
  })
})

describe('external link allowlist', () => {
  const allowed = externalLinkPolicy(['https://raw.example.org/data/names.txt', 'not a url', 'http://plain.example/x'], 'https://project.example/microgpt')
  it('allows the catalog addresses and the pages under the homepage, over https only', () => {
    expect(allowed('https://raw.example.org/data/names.txt')).toBe(true)
    expect(allowed('https://raw.example.org/data/names.txt#x')).toBe(true)
    expect(allowed('https://project.example/microgpt')).toBe(true)
    expect(allowed('https://project.example/microgpt/issues')).toBe(true)
    for (const url of ['https://raw.example.org/data/other.txt', 'http://raw.example.org/data/names.txt', 'http://plain.example/x',
      'https://project.example/microgpt-evil', 'https://user:pw@raw.example.org/data/names.txt', 'file:///etc/passwd', 'not a url', ''])
      expect(allowed(url), url).toBe(false)
    expect(externalLinkPolicy([])('https://example.com/')).toBe(false)
  })
})
