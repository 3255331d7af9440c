// The app's windows, in the order of the navigation and of their Ctrl+number shortcuts. The
// router, the sidebar, the shortcuts and the help overlay all read this list.
export interface AppWindow {
  name: string // the route name, also what the settings remember
  path: string
  title: string
  description: string
}

export const appWindows: readonly AppWindow[] = [
  { name: 'datasets', path: '/datasets', title: 'Datasets', description: 'Download, import and preview training text' },
  { name: 'model', path: '/model', title: 'Model', description: 'Choose a model that fits this machine' },
  { name: 'train', path: '/train', title: 'Train', description: 'Train and watch the model learn' },
  { name: 'generate', path: '/generate', title: 'Generate', description: 'Continue a prompt with a trained model' },
  { name: 'chat', path: '/chat', title: 'Chat', description: 'Talk to a trained model, conversations kept' },
  { name: 'system', path: '/system', title: 'System', description: 'The engine and this machine' },
]

export { defaultWindow } from '@common/defaults'

export function windowNamed(name: string): AppWindow | undefined {
  return appWindows.find((w) => w.name === name)
}
