// Where the app keeps its files, under one data folder.
import { homedir } from 'node:os'
import { join } from 'node:path'

export interface DataPaths {
  root: string
  datasets: string // <id>.txt and <id>.json
  checkpoints: string // <runId>.bin
  runs: string // <runId>.json
  chats: string // <chatId>.json
  settings: string // settings.json
}

export function dataPaths(root: string): DataPaths {
  return {
    root,
    datasets: join(root, 'datasets'),
    checkpoints: join(root, 'checkpoints'),
    runs: join(root, 'runs'),
    chats: join(root, 'chats'),
    settings: join(root, 'settings.json'),
  }
}

/**
 * The data folder of both the desktop app and serve mode, so that each sees the other's datasets,
 * runs and chats: $XDG_DATA_HOME/microgpt-rlm-pi, by default ~/.local/share/microgpt-rlm-pi.
 */
export function defaultDataRoot(): string {
  const xdg = process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share')
  return join(xdg, 'microgpt-rlm-pi')
}

/** `--data-dir <path>` or `--data-dir=<path>` among a command line's arguments, if given. */
export function dataDirArgument(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--data-dir' && argv[i + 1]) return argv[i + 1]
    if (argv[i].startsWith('--data-dir=') && argv[i].length > 11) return argv[i].slice(11)
  }
  return undefined
}

/** Ids come from the renderer: only these characters may reach a file name. */
export function isSafeId(id: unknown): id is string {
  return typeof id === 'string' && /^[a-z0-9][a-z0-9._-]{0,79}$/i.test(id) && !id.includes('..')
}

export function newId(prefix: string): string {
  const t = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)
  return `${prefix}-${t}-${Math.random().toString(36).slice(2, 8)}`
}
