// The Electron main process, with `electron` mocked because its binary cannot run here. Checks
// the security settings of the window, navigation and window-open denial, the IPC wiring and
// that quitting waits for the back end to save.
import { pathToFileURL } from 'node:url'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { channels } from '../../../../electron/common/contract'
import { repoRoot, tempDir } from '../../../support/engine'

const h = vi.hoisted(() => {
  type Listener = (...args: unknown[]) => unknown
  const appListeners = new Map<string, Listener[]>()
  const windows: { options: Record<string, any>; wc: Record<string, any>; loaded: string[] }[] = []
  let ready!: () => void
  const whenReady = new Promise<void>((r) => (ready = r))
  return { appListeners, windows, whenReady, ready: () => ready(), handled: new Set<string>(), quit: { count: 0 }, opened: [] as string[], appPath: '', userData: '' }
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
      const entry = { options, wc: this.webContents, loaded: [] as string[] }
      h.windows.push(entry)
      Object.assign(this, { once: () => {}, loadFile: (f: string) => entry.loaded.push(f), loadURL: (u: string) => entry.loaded.push(u) })
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
    },
    BrowserWindow,
    ipcMain: { handle: (ch: string) => h.handled.add(ch), removeHandler: (ch: string) => h.handled.delete(ch) },
    shell: { openExternal: async (u: string) => void h.opened.push(u) },
    utilityProcess: { fork: () => { throw new Error('not started in this test') } },
  }
})

Object.assign(h, { appPath: repoRoot, userData: tempDir('mg-electron-') })

describe('Electron main', () => {
  beforeAll(async () => {
    await import('../../../../electron/main/index')
    h.ready()
    await vi.waitFor(() => expect(h.windows.length).toBe(1))
  })

  it('opens one window with context isolation and the sandbox on, Node integration off', () => {
    const prefs = h.windows[0].options.webPreferences
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false })
    expect(prefs.preload).toMatch(/preload[\\/]index\.js$/)
    expect(h.windows[0].loaded[0]).toMatch(/renderer[\\/]index\.html$/)
  })

  it('denies new windows (opening https links in the browser instead) and foreign navigation', () => {
    const wc = h.windows[0].wc
    expect(wc.openHandler({ url: 'https://example.com/' })).toEqual({ action: 'deny' })
    expect(wc.openHandler({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' })
    expect(h.opened).toEqual(['https://example.com/'])
    const foreign = { preventDefault: vi.fn() }
    wc.emit('will-navigate', foreign, 'https://evil.example/')
    expect(foreign.preventDefault).toHaveBeenCalled()
    const own = { preventDefault: vi.fn() }
    wc.emit('will-navigate', own, pathToFileURL(h.windows[0].loaded[0]).toString()) // the page it loaded
    expect(own.preventDefault).not.toHaveBeenCalled()
    const webview = { preventDefault: vi.fn() }
    for (const l of h.appListeners.get('web-contents-created') ?? []) l({}, { on: (_: string, fn: any) => fn(webview) })
    expect(webview.preventDefault).toHaveBeenCalled()
  })

  it('handles every request channel of the contract over IPC', () => {
    expect([...h.handled].sort()).toEqual(channels().filter((c) => c.kind === 'request').map((c) => c.channel).sort())
  })

  it('lets running training save before quitting', async () => {
    const e = { preventDefault: vi.fn() }
    for (const l of h.appListeners.get('before-quit') ?? []) l(e)
    expect(e.preventDefault).toHaveBeenCalled()
    await vi.waitFor(() => expect(h.quit.count).toBe(1))
  })
})
