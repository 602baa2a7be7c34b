// A throwaway certificate authority for the TLS suites, made with the openssl command line: a CA, server
// certificates for 127.0.0.1/localhost and client certificates with a chosen subject, as PEM files in a
// directory. EC P-256 keys keep generation fast on a loaded machine.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface CertFiles {
  cert: string;
  key: string;
}

export class TestCa {
  readonly cert: string;
  private readonly key: string;
  private serial = 1;

  /** Creates the CA in `dir` with subject CN=`name`. */
  constructor(
    private readonly dir: string,
    name = 'Strata Test CA',
  ) {
    this.cert = path.join(dir, `${slug(name)}.ca.pem`);
    this.key = path.join(dir, `${slug(name)}.ca.key`);
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', this.key, '-out', this.cert, '-days', '2', '-subj', `/CN=${name}`]);
  }

  /** A certificate signed by this CA; `subject` in openssl form ("/O=Strata/CN=app"), SANs for servers. */
  issue(name: string, subject: string, opts: { server?: boolean; days?: number } = {}): CertFiles {
    const key = path.join(this.dir, `${name}.key`);
    const csr = path.join(this.dir, `${name}.csr`);
    const cert = path.join(this.dir, `${name}.pem`);
    const ext = path.join(this.dir, `${name}.ext`);
    openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csr, '-subj', subject]);
    fs.writeFileSync(
      ext,
      opts.server
        ? 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n'
        : 'extendedKeyUsage=clientAuth\n',
    );
    openssl(['x509', '-req', '-in', csr, '-CA', this.cert, '-CAkey', this.key, '-set_serial', String(this.serial++), '-out', cert, '-days', String(opts.days ?? 2), '-extfile', ext]);
    return { cert, key };
  }
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}
