// What the window may do beyond showing our page: no permission it does not use, and links
// that leave the app open in the browser only when they are on the allowlist.
import type { Session } from 'electron'

/** Copying a reply to the clipboard is the one browser permission the app uses. */
const usedPermissions = new Set(['clipboard-sanitized-write'])

export function denyUnusedPermissions(session: Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler'>, isOurs: (url: string) => boolean): void {
  session.setPermissionRequestHandler((_wc, permission, callback, details) =>
    callback(usedPermissions.has(permission) && isOurs(details.requestingUrl ?? '')))
  session.setPermissionCheckHandler((_wc, permission, origin) => usedPermissions.has(permission) && isOurs(`${origin}/`))
}

/**
 * The links the app may open in the browser: the catalog's dataset addresses and the project's
 * homepage (package.json "homepage", when it has one, and the pages under it), all https.
 * Anything else a page asks to open is refused, so a crafted link in a dataset or a generated
 * text cannot launch arbitrary URLs or local programs.
 */
export function externalLinkPolicy(catalogUrls: string[], homepage?: string): (url: string) => boolean {
  const exact = new Set<string>()
  const add = (u: string | undefined): void => {
    if (!u) return
    try {
      const p = new URL(u)
      if (p.protocol === 'https:') exact.add(p.href)
    } catch {
      // a malformed address allows nothing
    }
  }
  for (const u of catalogUrls) add(u)
  add(homepage)
  const home = homepage && exact.has(new URL(homepage).href) ? new URL(homepage).href.replace(/\/?$/, '/') : null
  return (url) => {
    let p: URL
    try {
      p = new URL(url)
    } catch {
      return false
    }
    if (p.protocol !== 'https:' || p.username || p.password) return false
    p.hash = ''
    return exact.has(p.href) || (home !== null && p.href.startsWith(home))
  }
}
