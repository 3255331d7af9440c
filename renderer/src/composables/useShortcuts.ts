// The app's keyboard shortcuts: Ctrl+1…N open the windows in navigation order, `?` toggles the
// help overlay (not while typing in a field), Escape closes it.
import { onBeforeUnmount, onMounted, ref } from 'vue'
import { useRouter } from 'vue-router'
import { appWindows } from '../lib/windows'

export interface Shortcut {
  keys: string
  does: string
}

export const shortcuts: Shortcut[] = [
  ...appWindows.map((w, i) => ({ keys: `Ctrl+${i + 1}`, does: `Open ${w.title}` })),
  { keys: '?', does: 'Show or hide this help' },
  { keys: 'Esc', does: 'Close this help' },
  { keys: 'Tab / Shift+Tab', does: 'Move between controls' },
]

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null
  return !!el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName))
}

export function useShortcuts() {
  const router = useRouter()
  const helpOpen = ref(false)

  function onKey(e: KeyboardEvent): void {
    if (e.ctrlKey && !e.altKey && !e.metaKey && /^[1-9]$/.test(e.key)) {
      const w = appWindows[Number(e.key) - 1]
      if (w) {
        e.preventDefault()
        helpOpen.value = false
        void router.push({ name: w.name })
      }
      return
    }
    if (e.key === 'Escape' && helpOpen.value) {
      e.preventDefault()
      helpOpen.value = false
      return
    }
    if (e.key === '?' && !e.ctrlKey && !e.altKey && !e.metaKey && !typing(e.target)) {
      e.preventDefault()
      helpOpen.value = !helpOpen.value
    }
  }
  onMounted(() => window.addEventListener('keydown', onKey))
  onBeforeUnmount(() => window.removeEventListener('keydown', onKey))
  return { helpOpen }
}
