// Checks a native binary before it is packed for a machine: that it is built for that machine's
// architecture (the ELF header's machine field), and that it needs no glibc or libstdc++ symbol
// newer than Raspberry Pi OS Bookworm has (glibc 2.36, GCC 12's GLIBCXX_3.4.30), read from its
// dynamic symbol table with objdump -T. A wrong or too-new addon would install and then fail to
// load on the Pi; this fails the build instead, saying which.
// Usage: node tools/check-binary.mjs <file> --arch arm64|x64 [--max-glibc 2.36] [--max-glibcxx 3.4.30]
import { execFileSync } from 'node:child_process'
import { closeSync, openSync, readSync } from 'node:fs'
import { parseArgs } from 'node:util'

const machines = { arm64: { id: 0xb7, name: 'aarch64', objdump: 'aarch64-linux-gnu-objdump' }, x64: { id: 0x3e, name: 'x86-64', objdump: 'objdump' } }

/** The ELF machine of a file, as a name (aarch64, x86-64) or its number. */
function elfMachine(file) {
  const head = Buffer.alloc(20)
  const fd = openSync(file, 'r')
  try {
    readSync(fd, head, 0, 20, 0)
  } finally {
    closeSync(fd)
  }
  if (head.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${file} is not an ELF binary`)
  const id = head[5] === 1 ? head.readUInt16LE(18) : head.readUInt16BE(18)
  return Object.values(machines).find((m) => m.id === id)?.name ?? `machine ${id}`
}

const newer = (a, b) => {
  const x = a.split('.').map(Number)
  const y = b.split('.').map(Number)
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) > (y[i] ?? 0)
  return false
}

/** The newest version of each of glibc and libstdc++ that the binary's symbols need. */
function neededVersions(file, objdump) {
  const table = execFileSync(objdump, ['-T', file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  const newest = { GLIBC: '0', GLIBCXX: '0' }
  for (const [, lib, version] of table.matchAll(/\b(GLIBC|GLIBCXX)_(\d+(?:\.\d+)*)\b/g)) if (newer(version, newest[lib])) newest[lib] = version
  return newest
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { arch: { type: 'string' }, 'max-glibc': { type: 'string', default: '2.36' }, 'max-glibcxx': { type: 'string', default: '3.4.30' } },
})
const target = machines[values.arch ?? '']
if (positionals.length !== 1 || !target) {
  console.error('usage: node tools/check-binary.mjs <file> --arch arm64|x64 [--max-glibc 2.36] [--max-glibcxx 3.4.30]')
  process.exit(2)
}
const file = positionals[0]
const problems = []
let machine
try {
  machine = elfMachine(file)
} catch (e) {
  console.error(`${file} cannot be checked: ${e.message}`)
  process.exit(1)
}
if (machine !== target.name) problems.push(`it is built for ${machine}, not for ${target.name} (${values.arch}): build the addon for the package's architecture`)
else {
  const need = neededVersions(file, target.objdump)
  if (newer(need.GLIBC, values['max-glibc'])) problems.push(`it needs glibc ${need.GLIBC}, newer than ${values['max-glibc']}: build it against an older glibc (Debian 12 / Bookworm)`)
  if (newer(need.GLIBCXX, values['max-glibcxx'])) problems.push(`it needs GLIBCXX_${need.GLIBCXX}, newer than ${values['max-glibcxx']}: build it with GCC 12 (Bookworm's)`)
  if (!problems.length) console.log(`${file}: ${machine}, needs glibc ${need.GLIBC} and GLIBCXX_${need.GLIBCXX}: fits`)
}
if (problems.length) {
  console.error(`${file} cannot be packed for ${values.arch}:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
  process.exit(1)
}
