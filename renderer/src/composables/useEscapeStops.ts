// Esc stops what a window is streaming (a completion, a chat reply), from anywhere in the window,
// while the window is open. A dialog or form that handles Esc itself stops its propagation.
import { onBeforeUnmount, onMounted, type Ref } from 'vue'

export function useEscapeStops(running: Ref<boolean>, stop: () => unknown): void {
  function onKey(e: KeyboardEvent): void {
    if (e.key !== 'Escape' || !running.value) return
    e.preventDefault()
    void stop()
  }
  onMounted(() => window.addEventListener('keydown', onKey))
  onBeforeUnmount(() => window.removeEventListener('keydown', onKey))
}
