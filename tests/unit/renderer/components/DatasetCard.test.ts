// @vitest-environment happy-dom
// A dataset in the Datasets window: its progress with speed, ETA and part, buttons named for
// the dataset they act on, and its own error with the hint.
import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import type { DatasetEntry } from '../../../../electron/common/types'
import DatasetCard from '../../../../renderer/src/components/datasets/DatasetCard.vue'

const wiki: DatasetEntry = { id: 'wikitext-2', name: 'WikiText-2', description: 'Wikipedia articles', kind: 'download', source: 'catalog', approxBytes: 13e6, status: 'available' }

describe('DatasetCard', () => {
  it('offers a download, then shows its progress and a cancel while it goes', async () => {
    const w = mount(DatasetCard, { props: { dataset: wiki, selected: false } })
    expect(w.text()).toContain('about 12.4 MiB')
    await w.get('button[aria-label="Download WikiText-2"]').trigger('click')
    expect(w.emitted('download')).toHaveLength(1)
    await w.setProps({ progress: { id: 'wikitext-2', stage: 'downloading', receivedBytes: 2 * 1048576, totalBytes: 8 * 1048576, bytesPerSec: 1048576, etaSeconds: 6, part: 1, parts: 3, done: false } })
    const bar = w.get('[role=progressbar]')
    expect(bar.attributes('aria-valuenow')).toBe('25')
    expect(bar.attributes('aria-valuetext')).toBe('Downloading part 1 of 3: 2.0 MiB of 8.0 MiB · 1.0 MiB/s · 6 s left')
    await w.get('button[aria-label="Cancel preparing WikiText-2"]').trigger('click')
    expect(w.emitted('cancel')).toHaveLength(1)
  })

  it('offers training, preview and delete once ready, and shows its own error', async () => {
    const ready = { ...wiki, status: 'ready' as const, stats: { bytes: 10_900_000, lines: 36_000, characters: 10_800_000, vocabularySize: 283 } }
    const w = mount(DatasetCard, { props: { dataset: ready, selected: true, error: { code: 'NOT_FOUND', message: 'gone', hint: 'download it again' } } })
    expect(w.text()).toContain('283 distinct')
    expect(w.get('[role=alert]').text()).toContain('download it again')
    for (const [label, ev] of [['Train on WikiText-2', 'train'], ['Preview WikiText-2', 'preview'], ['Delete WikiText-2', 'remove']] as const) {
      await w.get(`button[aria-label="${label}"]`).trigger('click')
      expect(w.emitted(ev)).toHaveLength(1)
    }
    expect(w.get('button[aria-label="Preview WikiText-2"]').attributes('aria-pressed')).toBe('true')
  })
})
