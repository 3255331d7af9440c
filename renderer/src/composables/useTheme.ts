// The theme on <html data-theme>: the settings' choice, or the OS's when it is 'system', followed
// live when the OS switches.
import { onBeforeUnmount, ref, watchEffect, type Ref } from 'vue'

export function useTheme(choice: Ref<'system' | 'light' | 'dark'>): Ref<'light' | 'dark'> {
  const media = window.matchMedia('(prefers-color-scheme: dark)')
  const osDark = ref(media.matches)
  const follow = (e: MediaQueryListEvent): void => {
    osDark.value = e.matches
  }
  media.addEventListener('change', follow)
  onBeforeUnmount(() => media.removeEventListener('change', follow))
  const effective = ref<'light' | 'dark'>('light')
  watchEffect(() => {
    effective.value = choice.value === 'system' ? (osDark.value ? 'dark' : 'light') : choice.value
    document.documentElement.dataset.theme = effective.value
  })
  return effective
}
