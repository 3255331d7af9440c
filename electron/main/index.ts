// The Electron main process, kept thin: one window, the back end wired to IPC, lifecycle.
import { app, BrowserWindow, dialog, ipcMain, protocol, session, shell } from 'electron'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createBackend, readCatalog, type Backend } from '../services/backend'
import { toErrorShape } from '../common/errors'
import { dataDirArgument, dataPaths, defaultDataRoot } from '../services/paths'
import { appIndexUrl, appOrigin, appResponse, appScheme, appSchemePrivileges } from './app-protocol'
import { utilityEngine } from './engine-process'
import { registerIpc } from './ipc'
import { dialogPickers } from './pickers'
import { denyUnusedPermissions, externalLinkPolicy } from './security'
import { wantsHardwareAcceleration } from './startup'

const rendererUrl = process.env.ELECTRON_RENDERER_URL // set by `electron-vite dev`
const rendererRoot = join(__dirname, '..', 'renderer')
const isOurs = (url: string): boolean => url.startsWith(rendererUrl ?? `${appOrigin}/`)
let linkAllowed: (url: string) => boolean = () => false

protocol.registerSchemesAsPrivileged([{ scheme: appScheme, privileges: appSchemePrivileges }])

// Before ready: a Pi's GPU driver can leave the window blank or flickering (the setting, or
// --disable-gpu for one run, turns the GPU off)
const dataRoot = dataDirArgument(process.argv) ?? defaultDataRoot() // the folder serve mode uses too
if (!wantsHardwareAcceleration(process.argv, dataPaths(dataRoot).settings)) app.disableHardwareAcceleration()

// One copy of the app: a second launch brings the first one's window forward and exits. (Serve
// mode on the same data folder is kept off by the back end's lock of the folder.)
const firstCopy = app.requestSingleInstanceLock()
if (!firstCopy) app.quit()
app.on('second-instance', () => {
  const win = BrowserWindow.getAllWindows()[0]
  if (!win) return
  if (win.isMinimized()) win.restore()
  win.focus()
})

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280, // a Pi 5's common screen; the windows are laid out for 1280x720 and up
    height: 720,
    minWidth: 1024,
    minHeight: 600,
    title: 'MicroGPT-RLM-PI',
    show: false,
    webPreferences: {
      preload: join(__dirname, '..', 'preload', 'index.js'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
    },
  })
  win.once('ready-to-show', () => win.show())
  // links never open inside the app; those on the allowlist open in the browser
  const openOutside = (url: string): void => void (linkAllowed(url) && shell.openExternal(url))
  win.webContents.setWindowOpenHandler(({ url }) => {
    openOutside(url)
    return { action: 'deny' }
  })
  win.webContents.on('will-navigate', (e, url) => {
    if (isOurs(url)) return
    e.preventDefault()
    openOutside(url)
  })
  void win.loadURL(rendererUrl ?? appIndexUrl)
  return win
}

let backend: Backend | null = null

app.whenReady().then(async () => {
  if (!firstCopy) return
  const appRoot = app.getAppPath()
  const catalogFile = join(appRoot, 'data', 'catalog.json')
  const { homepage } = JSON.parse(readFileSync(join(appRoot, 'package.json'), 'utf8')) as { homepage?: string }
  linkAllowed = externalLinkPolicy(readCatalog(catalogFile).flatMap((c) => (c.kind === 'download' ? c.sources.map((s) => s.url) : [])), homepage)
  protocol.handle(appScheme, (request) => appResponse(rendererRoot, request))
  denyUnusedPermissions(session.defaultSession, isOurs)
  try {
    backend = await createBackend({
      dataRoot,
      catalogFile,
      pickers: dialogPickers,
      spawnEngine: () => utilityEngine(join(__dirname, 'engine-host.js')),
      appVersion: app.getVersion(),
      transport: 'ipc',
    })
  } catch (e) {
    // e.g. the data folder in use by serve mode: said in a dialog, not a silent exit
    const { message, hint } = toErrorShape(e)
    dialog.showErrorBox('MicroGPT-RLM-PI cannot start', hint ? `${message}\n\n${hint}` : message)
    app.quit()
    return
  }
  registerIpc({
    ipcMain, handlers: backend.handlers, events: backend.events, isTrustedUrl: isOurs,
    targets: () => BrowserWindow.getAllWindows().map((w) => w.webContents),
  })
  const win = createWindow()
  // An addon that will not load (another architecture's package, no libgomp1) is said at once,
  // with its fix; the window opens anyway and says it too.
  backend.handlers.engine.info().catch((e: unknown) => {
    const { code, message, hint } = toErrorShape(e)
    if (code !== 'ENGINE_LOAD_FAILED' && code !== 'ENGINE_MISSING') return
    void dialog.showMessageBox(win, { type: 'error', title: 'MicroGPT-RLM-PI', message: 'The engine cannot start', detail: hint ? `${message}\n\nTo fix it: ${hint}` : message })
  })
  app.on('activate', () => BrowserWindow.getAllWindows().length === 0 && createWindow())
})

app.on('web-contents-created', (_e, contents) => contents.on('will-attach-webview', (ev) => ev.preventDefault()))
app.on('window-all-closed', () => process.platform !== 'darwin' && app.quit())

let quitting = false
app.on('before-quit', (e) => {
  if (quitting || !backend) return
  e.preventDefault() // running training saves its checkpoint before the engine goes
  quitting = true
  void backend.dispose().finally(() => app.quit())
})
