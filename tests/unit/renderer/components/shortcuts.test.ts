// @vitest-environment happy-dom
// The keyboard: Ctrl+1…N open the windows in navigation order, `?` opens the help (not while
// typing), Escape closes it and gives the focus back.
import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import { defineComponent, h, nextTick } from 'vue'
import { createMemoryHistory, createRouter, RouterView } from 'vue-router'
import TheHelpOverlay from '../../../../renderer/src/components/TheHelpOverlay.vue'
import { useShortcuts } from '../../../../renderer/src/composables/useShortcuts'
import { appWindows } from '../../../../renderer/src/lib/windows'

const Shell = defineComponent({
  setup() {
    const { helpOpen } = useShortcuts()
    return () => [
      h('input', { id: 'typing' }),
      h('button', { id: 'before' }, 'before'),
      h(RouterView),
      h(TheHelpOverlay, { modelValue: helpOpen.value, 'onUpdate:modelValue': (v: boolean) => (helpOpen.value = v) }),
    ]
  },
})

async function setup() {
  const router = createRouter({
    history: createMemoryHistory(),
    routes: appWindows.map((w) => ({ path: w.path, name: w.name, component: { render: () => h('h1', w.title) } })),
  })
  await router.push('/datasets')
  const w = mount(Shell, { global: { plugins: [router] }, attachTo: document.body })
  return { w, router }
}
const press = (key: string, init: KeyboardEventInit = {}, target: EventTarget = window) =>
  target.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, ...init }))

describe('shortcuts', () => {
  it('Ctrl+number opens each window in the navigation order', async () => {
    const { w, router } = await setup()
    for (const [i, win] of appWindows.entries()) {
      press(String(i + 1), { ctrlKey: true })
      await new Promise((r) => setTimeout(r, 0))
      expect(router.currentRoute.value.name).toBe(win.name)
    }
    press('9', { ctrlKey: true })
    await nextTick()
    expect(router.currentRoute.value.name).toBe(appWindows.at(-1)!.name)
    w.unmount()
  })

  it('? opens the help with every shortcut, Escape closes it and returns the focus; typing a ? does not', async () => {
    const { w } = await setup()
    const before = document.getElementById('before')!
    before.focus()
    press('?')
    await nextTick()
    await nextTick()
    const dialog = document.querySelector('[role=dialog]')!
    expect(dialog.getAttribute('aria-modal')).toBe('true')
    expect(dialog.textContent).toContain('Ctrl+1')
    expect(dialog.textContent).toContain(`Open ${appWindows.at(-1)!.title}`)
    expect(document.activeElement?.textContent).toBe('Close')
    press('Escape')
    await nextTick()
    await nextTick()
    expect(document.querySelector('[role=dialog]')).toBeNull()
    expect(document.activeElement).toBe(before)
    press('?', {}, document.getElementById('typing')!)
    await nextTick()
    expect(document.querySelector('[role=dialog]')).toBeNull()
    w.unmount()
  })
})
