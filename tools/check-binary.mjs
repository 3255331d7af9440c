// Checks a native binary before it is packed for a machine: that it is built for that machine's
// architecture (the ELF header's machine field), and that it needs no glibc or libstdc++ symbol
// newer than Raspberry Pi OS Bookworm has (glibc 2.36, GCC 12's GLIBCXX_3.4.30), read from its
// dynamic symbol table with objdump -T. A wrong or too-new addon would install and then fail to
// load on the Pi; this fails the build instead, saying which.
// Usage: node tools/check-binary.mjs <file> --arch arm64|x64 [--max-glibc 2.36] [--max-glibcxx 3.4.30]
import { execFileSync } from 'node:child_process'
import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { ELF_MACHINES, elfArch } from '../electron/engine-host/elf.mjs'

// the host's objdump reads its own architecture; another one needs that architecture's binutils
const crossObjdumps = { arm64: 'aarch64-linux-gnu-objdump', x64: 'x86_64-linux-gnu-objdump' }
const objdumpFor = (arch) => (arch === process.arch ? 'objdump' : crossObjdumps[arch])
const machineName = (arch) => ELF_MACHINES[arch]?.name ?? arch

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

export const BOOKWORM = { glibc: '2.36', glibcxx: '3.4.30' }

/**
 * Whether `file` can be packed for `arch` (arm64 or x64): `problems` says, as sentences, what
 * stops it (none when it fits). `limits` are the newest glibc and GLIBCXX the target may need,
 * Bookworm's by default. Throws when the file cannot be read as ELF.
 */
export function checkBinary(file, arch, limits = BOOKWORM) {
  const machine = elfArch(file)
  if (machine !== arch)
    return { machine, need: null, problems: [`it is built for ${machineName(machine)}, not for ${machineName(arch)} (${arch}): build the addon for the package's architecture`] }
  const need = neededVersions(file, objdumpFor(arch))
  const problems = []
  if (newer(need.GLIBC, limits.glibc)) problems.push(`it needs glibc ${need.GLIBC}, newer than ${limits.glibc}: build it against an older glibc (Debian 12 / Bookworm)`)
  if (newer(need.GLIBCXX, limits.glibcxx)) problems.push(`it needs GLIBCXX_${need.GLIBCXX}, newer than ${limits.glibcxx}: build it with GCC 12 (Bookworm's)`)
  return { machine, need, problems }
}

/** checkBinary as one line when the file fits, else one error listing what stops it (the packaging hook's form). */
export function assertPackable(file, arch, limits = BOOKWORM) {
  const { need, problems } = checkBinary(file, arch, limits)
  if (problems.length) throw new Error(`${file} cannot be packed for ${arch}:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
  return `${file}: ${machineName(arch)}, needs glibc ${need.GLIBC} and GLIBCXX_${need.GLIBCXX}: fits`
}

function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { arch: { type: 'string' }, 'max-glibc': { type: 'string', default: BOOKWORM.glibc }, 'max-glibcxx': { type: 'string', default: BOOKWORM.glibcxx } },
  })
  if (positionals.length !== 1 || !(values.arch in crossObjdumps)) {
    console.error('usage: node tools/check-binary.mjs <file> --arch arm64|x64 [--max-glibc 2.36] [--max-glibcxx 3.4.30]')
    process.exit(2)
  }
  const file = positionals[0]
  try {
    console.log(assertPackable(file, values.arch, { glibc: values['max-glibc'], glibcxx: values['max-glibcxx'] }))
  } catch (e) {
    console.error(e.message.startsWith(file) ? e.message : `${file} cannot be checked: ${e.message}`)
    process.exit(1)
  }
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) main()
