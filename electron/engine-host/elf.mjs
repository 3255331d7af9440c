// The architecture a native binary is built for, read from its ELF header. One reader for two
// users: the engine process, to say why the addon would not load (a package for another
// machine), and tools/check-binary.mjs, to refuse such an addon before it is packed.
import { closeSync, openSync, readSync } from 'node:fs'

/** ELF e_machine numbers, by Node's names for the architectures (process.arch). */
export const ELF_MACHINES = { arm64: { id: 0xb7, name: 'aarch64' }, x64: { id: 0x3e, name: 'x86-64' } }

/** The file's architecture: arm64 or x64 as Node names them, `machine <n>` for others; throws when the file is not ELF. */
export function elfArch(file) {
  const head = Buffer.alloc(20)
  const fd = openSync(file, 'r')
  try {
    readSync(fd, head, 0, 20, 0)
  } finally {
    closeSync(fd)
  }
  if (head.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${file} is not an ELF binary`)
  const id = head[5] === 1 ? head.readUInt16LE(18) : head.readUInt16BE(18) // e_machine, in the file's byte order
  return Object.entries(ELF_MACHINES).find(([, m]) => m.id === id)?.[0] ?? `machine ${id}`
}
