// What protects the console's HTTP surface: optional basic auth on every page (not on the probes), security
// headers (a CSP that allows only our own scripts and styles, so even an escaping bug could not run script),
// and for write actions: refused with 403 unless writes are enabled, and a CSRF check (a per-process random
// token in a hidden form field, plus the Origin/Referer, when sent, naming this host).
import { randomBytes } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { sameBytes } from '../broker/src/security/scram';

export const CSRF_FIELD = '_csrf';

function sameSecret(a: string, b: string): boolean {
  return sameBytes(Buffer.from(a), Buffer.from(b));
}

export function securityHeaders(): RequestHandler {
  return (_req, res, next) => {
    res.setHeader('Content-Security-Policy', "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'same-origin');
    res.setHeader('X-Frame-Options', 'DENY');
    next();
  };
}

export function basicAuth(auth: { username: string; password: string } | null, exempt: ReadonlySet<string>): RequestHandler {
  return (req, res, next) => {
    if (!auth || exempt.has(req.path)) return next();
    const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(req.headers.authorization ?? '');
    const decoded = m ? Buffer.from(m[1]!, 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    // Both compared every time, so the answer's timing does not tell which one was wrong.
    const userOk = sameSecret(decoded.slice(0, Math.max(colon, 0)), auth.username);
    const passOk = sameSecret(decoded.slice(colon + 1), auth.password);
    if (m && colon >= 0 && userOk && passOk) return next();
    res.setHeader('WWW-Authenticate', 'Basic realm="Strata console", charset="UTF-8"');
    res.status(401).type('text/plain').send('authentication required\n');
  };
}

export class Csrf {
  readonly token = randomBytes(32).toString('base64url');

  /** Express middleware for POST routes: writes enabled, token matches, same origin. */
  guard(writeEnabled: boolean): RequestHandler {
    return (req: Request, res: Response, next: NextFunction) => {
      if (!writeEnabled) {
        res.status(403).type('text/plain').send('the console is read-only (STRATA_CONSOLE_WRITE_ENABLED is not true)\n');
        return;
      }
      const sent = (req.body as Record<string, unknown> | undefined)?.[CSRF_FIELD];
      if (typeof sent !== 'string' || !sameSecret(sent, this.token)) {
        res.status(403).type('text/plain').send('missing or wrong form token: reload the page and try again\n');
        return;
      }
      if (!sameOrigin(req)) {
        res.status(403).type('text/plain').send('cross-origin form submission refused\n');
        return;
      }
      next();
    };
  }
}

/** Origin (or, without it, Referer) must name the host the request was sent to; absent both, the token decides. */
function sameOrigin(req: Request): boolean {
  const claimed = req.headers.origin ?? req.headers.referer;
  if (claimed === undefined) return true;
  try {
    return new URL(claimed).host === req.headers.host;
  } catch {
    return false;
  }
}
