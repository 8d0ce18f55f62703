import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from './config-error';

/**
 * Collects the problems of a group of variables so that every bad one is reported at once, each
 * as `NAME="value": problem`; reads and parses the files they name along the way.
 */
export class ConfigProblems {
  readonly list: string[] = [];

  /** Records a problem of `variable` set to `value` (never pass a secret as the value). */
  add(variable: string, value: string | undefined, problem: string): void {
    this.list.push(`${variable}=${JSON.stringify(value ?? '')}: ${problem}`);
  }

  /** The file `path` named by `variable`, or undefined (and a problem) when it cannot be read. */
  read(variable: string, path: string): Buffer | undefined {
    try {
      return readFileSync(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      this.add(variable, path, `cannot read the file (${code ?? String(error)})`);
      return undefined;
    }
  }

  /** The first certificate of the PEM `pem` read from `path`, or undefined (and a problem). */
  certificate(variable: string, path: string, pem: Buffer): X509Certificate | undefined {
    try {
      return new X509Certificate(pem);
    } catch (error) {
      this.add(variable, path, `not a PEM certificate (${(error as Error).message})`);
      return undefined;
    }
  }

  /** The PEM private key `pem` read from `path`, or undefined (and a problem). */
  privateKey(variable: string, path: string, pem: Buffer): KeyObject | undefined {
    try {
      return createPrivateKey(pem);
    } catch (error) {
      this.add(variable, path, `not a PEM private key (${(error as Error).message})`);
      return undefined;
    }
  }

  /**
   * Reads a certificate chain and its private key and checks that both parse and belong
   * together; undefined (and the problems) otherwise.
   */
  keyPair(
    cert: { readonly variable: string; readonly path: string },
    key: { readonly variable: string; readonly path: string },
  ): { cert: Buffer; key: Buffer } | undefined {
    const before = this.list.length;
    const certPem = this.read(cert.variable, cert.path);
    const keyPem = this.read(key.variable, key.path);
    const x509 = certPem && this.certificate(cert.variable, cert.path, certPem);
    const keyObject = keyPem && this.privateKey(key.variable, key.path, keyPem);
    if (x509 && keyObject && !x509.checkPrivateKey(keyObject))
      this.add(key.variable, key.path, `does not match the certificate of ${cert.variable}`);
    if (!certPem || !keyPem || this.list.length > before) return undefined;
    return { cert: certPem, key: keyPem };
  }

  /** Reads a PEM CA bundle and checks that it parses; undefined (and a problem) otherwise. */
  caBundle(variable: string, path: string): Buffer | undefined {
    const pem = this.read(variable, path);
    return pem && this.certificate(variable, path, pem) ? pem : undefined;
  }

  /** Throws a {@link ConfigError} listing every problem, if there is any. */
  throwIfAny(): void {
    if (this.list.length) throw new ConfigError(`invalid configuration: ${this.list.join('; ')}`);
  }
}
