// The depth heatmap's one scale: a character that used more recursion passes is shaded deeper.
// 1 pass is unshaded, `top` passes the deepest shade (40% of the accent, so text stays readable).
export function depthShade(passes: number, top: number): string {
  return `${Math.round((40 * Math.max(0, passes - 1)) / Math.max(1, top - 1))}%`
}
