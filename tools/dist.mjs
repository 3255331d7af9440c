// Builds the Linux packages, a .deb and an AppImage (electron-builder.yml says what goes in):
//   npm run dist:linux          this machine's architecture
//   npm run dist:linux:arm64    arm64, natively on an arm64 machine or cross-compiled on x86-64
//   node tools/dist.mjs --arch arm64|x64 [--dir]   (--dir: the unpacked app only, no packages)
// Steps: the app (electron-vite build); the engine addon for the package's architecture, built
// with the release CPU flags into native/out-dist/<arch>/ and checked (tools/check-binary.mjs);
// then electron-builder, whose afterPack hook checks the packed addon again.
//
// Release CPU flags: x64 packages target x86-64-v3 (AVX2 + FMA, every x86-64 CPU since 2013-15),
// never -march=native, so a package built on one machine runs on another; arm64 packages target
// the Pi 5's Cortex-A76. MG_CPU_FLAGS overrides, e.g. MG_CPU_FLAGS=-mcpu=cortex-a72 for a Pi 4
// (or -march=armv8-a for any arm64).
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdirSync, realpathSync, renameSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { assertPackable } from './check-binary.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
export const releaseCpuFlags = { x64: '-march=x86-64-v3', arm64: '-mcpu=cortex-a76' }

/** Where electron-builder.yml takes the addon of `arch` from. */
export const stagedAddon = (arch) => join(root, 'native', 'out-dist', arch, 'microgpt.node')

/** Copies a built addon to where the packaging takes it, after checking it fits `arch`. */
export function stageAddon(arch, built) {
  console.log(assertPackable(built, arch))
  const to = stagedAddon(arch)
  mkdirSync(dirname(to), { recursive: true })
  copyFileSync(built, `${to}.tmp`)
  renameSync(`${to}.tmp`, to)
  return to
}

/** Builds the engine addon for `arch` with the release flags (or MG_CPU_FLAGS); returns the .node file. */
export function buildAddon(arch, cpuFlags = process.env.MG_CPU_FLAGS ?? releaseCpuFlags[arch]) {
  if (arch !== process.arch && !(arch === 'arm64' && process.arch === 'x64'))
    throw new Error(`an ${arch} addon cannot be built on ${process.arch}: build the ${arch} package on an ${arch} machine`)
  const dir = join(root, 'native', 'out-release', arch)
  const configure = [
    '-S', join(root, 'native'), '-B', dir, '-DCMAKE_BUILD_TYPE=Release', '-DMG_BUILD_TESTS=OFF', '-DMG_BUILD_FUZZ=OFF',
    `-DMG_CPU_FLAGS=${cpuFlags}`, `-DMG_NODE_API_HEADERS=${join(root, 'node_modules', 'node-api-headers', 'include')}`,
  ]
  if (arch !== process.arch) configure.push(`-DCMAKE_TOOLCHAIN_FILE=${join(root, 'native', 'cmake', 'aarch64-linux-gnu.cmake')}`)
  console.log(`engine addon for ${arch}, ${cpuFlags || 'no CPU flags'}${arch !== process.arch ? ', cross-compiled' : ''}`)
  execFileSync('cmake', configure, { stdio: 'inherit' })
  execFileSync('cmake', ['--build', dir, '--target', 'microgpt_addon', '-j', '2'], { stdio: 'inherit' })
  return join(dir, 'microgpt.node')
}

async function main() {
  const { values } = parseArgs({ options: { arch: { type: 'string', default: process.arch }, dir: { type: 'boolean', default: false } } })
  const arch = values.arch
  if (arch !== 'x64' && arch !== 'arm64') throw new Error(`--arch must be x64 or arm64, not ${arch}`)
  execFileSync(process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], { stdio: 'inherit', cwd: root })
  stageAddon(arch, buildAddon(arch))
  const { Arch, Platform, build } = await import('electron-builder')
  const files = await build({
    projectDir: root,
    targets: Platform.LINUX.createTarget(values.dir ? ['dir'] : ['deb', 'AppImage'], Arch[arch]),
    publish: 'never',
  })
  console.log(`made:\n${files.map((f) => `  ${f}`).join('\n')}`)
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url))
  main().catch((e) => {
    console.error(`dist: ${e.message}`)
    // the first packaging downloads Electron and the packaging tools (then kept in ~/.cache)
    if (/ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ENETUNREACH/.test(`${e.code} ${e.message}`))
      console.error('dist: electron-builder could not download Electron or its packaging tools: connect to the network once and run it again')
    process.exit(1)
  })
