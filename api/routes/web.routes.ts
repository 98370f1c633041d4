/**
 * The first operator page: plain HTML + JS from web/, no build step. Only files directly in the directory with a
 * known extension are served (an allowlist read at start), so no request can reach anything else on disk.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { notFound } from '../errors.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

export function webRoutes(webDir: string): FastifyPluginAsyncTypebox {
  const files = new Map<string, { body: Buffer; type: string }>();
  let names: string[];
  try {
    names = readdirSync(webDir);
  } catch {
    names = []; // no web directory (API-only deployment): / answers 404
  }
  for (const name of names) {
    const type = TYPES[path.extname(name)];
    if (type && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) files.set(name, { body: readFileSync(path.join(webDir, name)), type });
  }
  return async (app) => {
    const send = (name: string) => {
      const f = files.get(name);
      if (!f) throw notFound(`file ${name}`);
      return f;
    };
    app.get('/', { config: { public: true }, schema: { hide: true } }, async (_req, reply) => {
      const f = send('index.html');
      return reply.type(f.type).header('cache-control', 'no-cache').send(f.body);
    });
    app.get('/web/:file', { config: { public: true }, schema: { hide: true, params: Type.Object({ file: Type.String({ maxLength: 128 }) }) } }, async (req, reply) => {
      const f = send(req.params.file);
      return reply.type(f.type).header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff').send(f.body);
    });
  };
}
