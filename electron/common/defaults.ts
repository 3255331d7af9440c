// What a fresh install starts with, where both the back end's settings and the renderer need it.

/** The window the app opens on the first start (a route name of renderer/src/lib/windows.ts). */
export const defaultWindow = 'datasets'
