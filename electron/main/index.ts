// The Electron main process, kept thin: one window, the back end wired to IPC, lifecycle.
import { app, BrowserWindow, ipcMain, shell } from 'electron'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { createBackend, type Backend } from '../services/backend'
import { registerIpc } from './ipc'
import { utilityEngine } from './engine-process'

const rendererUrl = process.env.ELECTRON_RENDERER_URL // set by `electron-vite dev`
const rendererFile = join(__dirname, '..', 'renderer', 'index.html')
const isOurs = (url: string): boolean =>
  rendererUrl ? url.startsWith(rendererUrl) : url.startsWith(pathToFileURL(rendererFile).toString())

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1200,
    height: 800,
    minWidth: 800,
    minHeight: 560,
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
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url) // links open in the browser, never in the app
    return { action: 'deny' }
  })
  win.webContents.on('will-navigate', (e, url) => {
    if (!isOurs(url)) e.preventDefault()
  })
  if (rendererUrl) void win.loadURL(rendererUrl)
  else void win.loadFile(rendererFile)
  return win
}

let backend: Backend | null = null

app.whenReady().then(async () => {
  const appRoot = app.getAppPath()
  backend = await createBackend({
    dataRoot: app.getPath('userData'),
    catalogFile: join(appRoot, 'data', 'catalog.json'),
    spawnEngine: () => utilityEngine(join(__dirname, 'engine-host.js')),
    appVersion: app.getVersion(),
    transport: 'ipc',
  })
  registerIpc({
    ipcMain, handlers: backend.handlers, events: backend.events, isTrustedUrl: isOurs,
    targets: () => BrowserWindow.getAllWindows().map((w) => w.webContents),
  })
  createWindow()
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
