// Sizes that both ends of serve mode must agree on.

/** The largest WebSocket message serve mode accepts; a larger request goes as an HTTP POST. */
export const maxSocketMessageBytes = 1024 * 1024

/** The largest request body of `POST /api/<channel>` (an imported dataset, JSON-escaped). */
export const maxPostBodyBytes = 600 * 1024 * 1024

/** The largest text a dataset may be made from (an imported file, an upload, a code corpus). */
export const maxImportBytes = 256 * 1024 * 1024
