// npm start: build the app, then launch it in Electron. Without Electron's binary (an offline
// install with ELECTRON_SKIP_BINARY_DOWNLOAD=1), say so in one line and start serve mode instead.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)
const args = process.argv.slice(2)

const build = spawnSync(process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], { cwd: root, stdio: 'inherit' })
if (build.status !== 0) process.exit(build.status ?? 1)

let electron = null
try {
  electron = require('electron') // the binary's path; throws when the binary was never downloaded
  if (!existsSync(electron)) electron = null
} catch {
  electron = null
}

const child = electron
  ? spawn(electron, ['.', ...args], { cwd: root, stdio: 'inherit' })
  : (console.log("Electron's binary is not installed (offline install), so the app starts in serve mode: open the URL below in a browser."),
    spawn(process.execPath, [join(root, 'out', 'main', 'serve.js'), ...args], { cwd: root, stdio: 'inherit' }))
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig))
child.on('exit', (code) => process.exit(code ?? 0))
