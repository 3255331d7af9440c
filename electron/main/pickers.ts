// The file and folder dialogs the back end asks for (datasets.importFiles, datasets.buildCode):
// opened by the main process, so paths come from the user's own choice, never from a page.
import { BrowserWindow, dialog } from 'electron'
import type { Pickers } from '../services/datasets'

export const dialogPickers: Pickers = {
  async files() {
    const win = BrowserWindow.getFocusedWindow()
    const options: Electron.OpenDialogOptions = {
      title: 'Import text files',
      properties: ['openFile', 'multiSelections'],
      filters: [{ name: 'Text', extensions: ['txt', 'md', 'csv', 'tsv', 'json', 'log', 'py', 'js', 'ts', 'c', 'cpp', 'h'] }, { name: 'All files', extensions: ['*'] }],
    }
    const r = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options)
    return r.canceled ? [] : r.filePaths
  },
  async folder() {
    const win = BrowserWindow.getFocusedWindow()
    const options: Electron.OpenDialogOptions = { title: 'Build a code corpus from a folder', properties: ['openDirectory'] }
    const r = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options)
    return r.canceled ? null : (r.filePaths[0] ?? null)
  },
}
