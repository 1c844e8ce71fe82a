import express, { type RequestHandler } from 'express';

/** Files under /static/ with the cache lifetime from `static_cache` (0 = always revalidate). */
export function staticFiles(root: string, cacheSeconds: number): RequestHandler {
  return express.static(root, {
    index: false,
    fallthrough: true,
    etag: true,
    lastModified: true,
    setHeaders: (res) => {
      if (cacheSeconds > 0) {
        res.setHeader('Cache-Control', `public, max-age=${cacheSeconds}`);
        res.setHeader('Expires', new Date(Date.now() + cacheSeconds * 1000).toUTCString());
      } else {
        res.setHeader('Cache-Control', 'no-cache');
      }
    },
  });
}
