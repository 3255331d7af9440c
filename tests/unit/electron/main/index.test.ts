// The Electron main process, with `electron` mocked because its binary cannot run here. Checks
// the security settings of the window, the app:// protocol, permissions, navigation and
// window-open denial with the link allowlist, one copy of the app, the IPC wiring and that
// quitting waits for the back end to save.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { channels } from '../../../../electron/common/contract'
import { dataDirArgument } from '../../../../electron/services/paths'
import { catalogFile, repoRoot, tempDir } from '../../../support/engine'

const h = vi.hoisted(() => {
  type Listener = (...args: unknown[]) => unknown
  const appListeners = new Map<string, Listener[]>()
  const windows: { options: Record<string, any>; wc: Record<string, any>; loaded: string[]; self: unknown }[] = []
  let ready!: () => void
  const whenReady = new Promise<void>((r) => (ready = r))
  return {
    appListeners, windows, whenReady, ready: () => ready(), handled: new Map<string, (...a: any[]) => Promise<any>>(), quit: { count: 0 }, focused: { count: 0 }, gpuOff: { count: 0 }, opened: [] as string[], appPath: '', userData: '',
    privileged: [] as { scheme: string; privileges: Record<string, boolean> }[], protocols: new Map<string, (r: Request) => Promise<Response>>(),
    permissionRequest: null as null | ((...a: any[]) => void), permissionCheck: null as null | ((...a: any[]) => boolean),
  }
})

vi.mock('electron', () => {
  class BrowserWindow {
    static all: BrowserWindow[] = []
    static getAllWindows = () => BrowserWindow.all
    webContents: Record<string, any>
    constructor(options: Record<string, any>) {
      const listeners = new Map<string, (...a: any[]) => void>()
      this.webContents = {
        on: (ev: string, fn: any) => listeners.set(ev, fn),
        emit: (ev: string, ...a: any[]) => listeners.get(ev)?.(...a),
        setWindowOpenHandler: (fn: any) => (this.webContents.openHandler = fn),
        isDestroyed: () => false,
        send: vi.fn(),
      }
      const entry = { options, wc: this.webContents, loaded: [] as string[], self: this as unknown }
      h.windows.push(entry)
      Object.assign(this, {
        once: () => {}, loadFile: (f: string) => entry.loaded.push(f), loadURL: (u: string) => entry.loaded.push(u),
        minimized: true, isMinimized() { return this.minimized }, restore() { this.minimized = false }, focus: () => h.focused.count++,
      })
      BrowserWindow.all.push(this)
    }
  }
  return {
    app: {
      whenReady: () => h.whenReady,
      on: (ev: string, fn: any) => h.appListeners.set(ev, [...(h.appListeners.get(ev) ?? []), fn]),
      getAppPath: () => h.appPath,
      getPath: () => h.userData,
      getVersion: () => '9.9.9',
      quit: () => h.quit.count++,
      requestSingleInstanceLock: () => true,
      disableHardwareAcceleration: () => h.gpuOff.count++,
    },
    BrowserWindow,
    ipcMain: { handle: (ch: string, fn: any) => h.handled.set(ch, fn), removeHandler: (ch: string) => h.handled.delete(ch) },
    shell: { openExternal: async (u: string) => void h.opened.push(u) },
    protocol: {
      registerSchemesAsPrivileged: (list: typeof h.privileged) => h.privileged.push(...list),
      handle: (scheme: string, fn: (r: Request) => Promise<Response>) => h.protocols.set(scheme, fn),
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (fn: any) => (h.permissionRequest = fn),
        setPermissionCheckHandler: (fn: any) => (h.permissionCheck = fn),
      },
    },
    utilityProcess: { fork: () => { throw new Error('not started in this test') } },
  }
})

Object.assign(h, { appPath: repoRoot, userData: tempDir('mg-electron-') })
process.env.XDG_DATA_HOME = tempDir('mg-electron-data-') // the data folder the app shares with serve mode

const BrowserWindowOf = (i: number): unknown => h.windows[i]!.self

describe('Electron main', () => {
  beforeAll(async () => {
    process.argv.push('--disable-gpu') // as a Pi with GPU driver trouble starts it
    await import('../../../../electron/main/index')
    h.ready()
    await vi.waitFor(() => expect(h.windows.length).toBe(1))
  })

  it('opens one window with context isolation and the sandbox on, Node integration off, from app://', () => {
    const prefs = h.windows[0].options.webPreferences
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false })
    expect(prefs.preload).toMatch(/preload[\\/]index\.js$/)
    expect(h.windows[0].loaded[0]).toBe('app://renderer/index.html')
    expect(h.privileged).toEqual([{ scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true }) }])
    expect(h.protocols.has('app')).toBe(true)
  })

  it('denies every permission but clipboard writes from our own page', () => {
    const ask = (permission: string, requestingUrl: string): boolean => {
      let granted: boolean | null = null
      h.permissionRequest!({}, permission, (ok: boolean) => (granted = ok), { requestingUrl })
      return granted!
    }
    for (const p of ['media', 'geolocation', 'notifications', 'midi', 'openExternal', 'fullscreen', 'clipboard-read', 'hid', 'serial'])
      expect(ask(p, 'app://renderer/index.html'), p).toBe(false)
    expect(ask('clipboard-sanitized-write', 'app://renderer/index.html')).toBe(true)
    expect(ask('clipboard-sanitized-write', 'https://evil.example/')).toBe(false)
    expect(h.permissionCheck!({}, 'clipboard-sanitized-write', 'app://renderer')).toBe(true)
    expect(h.permissionCheck!({}, 'media', 'app://renderer')).toBe(false)
    expect(h.permissionCheck!({}, 'clipboard-sanitized-write', 'https://evil.example')).toBe(false)
  })

  it('denies new windows and foreign navigation, opening only allowlisted links in the browser', () => {
    const wc = h.windows[0].wc
    const catalog = JSON.parse(readFileSync(catalogFile, 'utf8')) as { datasets: { sources?: { url: string }[] }[] }
    const catalogUrl = catalog.datasets.find((d) => d.sources)!.sources![0].url
    for (const url of ['https://example.com/', 'file:///etc/passwd', 'http://' + catalogUrl.slice(8), `${catalogUrl}/../x`, 'javascript:alert(1)', 'smb://host/share'])
      expect(wc.openHandler({ url })).toEqual({ action: 'deny' })
    expect(h.opened).toEqual([])
    expect(wc.openHandler({ url: catalogUrl })).toEqual({ action: 'deny' })
    expect(wc.openHandler({ url: `${catalogUrl}#top` })).toEqual({ action: 'deny' })
    expect(h.opened).toEqual([catalogUrl, `${catalogUrl}#top`])
    const foreign = { preventDefault: vi.fn() }
    wc.emit('will-navigate', foreign, 'https://evil.example/')
    expect(foreign.preventDefault).toHaveBeenCalled()
    expect(h.opened).toHaveLength(2)
    const own = { preventDefault: vi.fn() }
    wc.emit('will-navigate', own, 'app://renderer/index.html#/train')
    expect(own.preventDefault).not.toHaveBeenCalled()
    const webview = { preventDefault: vi.fn() }
    for (const l of h.appListeners.get('web-contents-created') ?? []) l({}, { on: (_: string, fn: any) => fn(webview) })
    expect(webview.preventDefault).toHaveBeenCalled()
  })

  it('keeps its data in the folder serve mode uses, not in Electron\'s userData', async () => {
    const info = h.handled.get('system.info')!
    expect(await info({ senderFrame: { url: 'app://renderer/index.html' } })).toMatchObject({ ok: true, value: { dataDir: join(process.env.XDG_DATA_HOME!, 'microgpt-rlm-pi') } })
    expect(await info({ senderFrame: { url: 'https://evil.example/' } })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
    expect(dataDirArgument(['electron', '.', '--data-dir', '/x'])).toBe('/x')
    expect(dataDirArgument(['electron', '--data-dir=/y'])).toBe('/y')
    expect(dataDirArgument(['electron', '--data-dir'])).toBeUndefined()
  })

  it('turns hardware acceleration off before ready with --disable-gpu', () => {
    expect(h.gpuOff.count).toBe(1)
  })

  it('is one copy: a second launch restores and focuses the first one\'s window', () => {
    for (const l of h.appListeners.get('second-instance') ?? []) l()
    expect(h.focused.count).toBe(1)
    expect((BrowserWindowOf(0) as { minimized: boolean }).minimized).toBe(false)
  })

  it('handles every request channel of the contract over IPC', () => {
    expect([...h.handled.keys()].sort()).toEqual(channels().filter((c) => c.kind === 'request').map((c) => c.channel).sort())
  })

  it('lets running training save before quitting', async () => {
    const e = { preventDefault: vi.fn() }
    for (const l of h.appListeners.get('before-quit') ?? []) l(e)
    expect(e.preventDefault).toHaveBeenCalled()
    await vi.waitFor(() => expect(h.quit.count).toBe(1))
  })
})
