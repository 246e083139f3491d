import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  sign,
  timingSafeEqual,
  verify,
} from 'node:crypto';
import { ConfigError } from '../errors.ts';
import type { AuditCheckpoint } from './types.ts';

/** Signs checkpoints. Make one with {@link hmacCheckpointKey} or {@link ed25519CheckpointKey}. */
export interface CheckpointSigner {
  readonly alg: AuditCheckpoint['alg'];
  readonly keyId: string;
  sign(payload: Buffer): string;
}

/** Verifies checkpoint signatures (an HMAC key verifies its own; Ed25519 needs only the public key). */
export interface CheckpointVerifier {
  verify(checkpoint: AuditCheckpoint): boolean;
}

/** The exact bytes a checkpoint signature covers. */
export function checkpointPayload(c: Pick<AuditCheckpoint, 'seq' | 'hash' | 'at' | 'alg' | 'keyId'>): Buffer {
  return Buffer.from(`tessera-audit-checkpoint/1\n${c.seq}\n${c.hash}\n${c.at}\n${c.alg}\n${c.keyId}`);
}

/**
 * A checkpoint key from a shared secret (HMAC-SHA-256, at least 32 bytes). The same key signs
 * and verifies, so whoever can verify can also forge: prefer Ed25519 when the verifier is not
 * the writer.
 */
export function hmacCheckpointKey(secret: Buffer, keyId = 'hmac'): CheckpointSigner & CheckpointVerifier {
  if (!Buffer.isBuffer(secret) || secret.length < 32)
    throw new ConfigError('checkpointKey', 'an HMAC key must be at least 32 bytes.');
  const mac = (payload: Buffer) => createHmac('sha256', secret).update(payload).digest();
  return {
    alg: 'hmac-sha256',
    keyId,
    sign: (payload) => mac(payload).toString('base64url'),
    verify(c) {
      if (c.alg !== 'hmac-sha256' || c.keyId !== keyId) return false;
      const given = Buffer.from(c.signature, 'base64url');
      const expected = mac(checkpointPayload(c));
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}

/**
 * A checkpoint key pair (Ed25519): the writers sign with the private key; auditors verify with
 * {@link ed25519CheckpointVerifier} and the public key alone, so they cannot forge a checkpoint.
 * Accepts `KeyObject`s or PEM text.
 */
export function ed25519CheckpointKey(
  privateKey: KeyObject | string,
  keyId = 'ed25519',
): CheckpointSigner & CheckpointVerifier {
  const priv = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  if (priv.asymmetricKeyType !== 'ed25519')
    throw new ConfigError('checkpointKey', 'expected an Ed25519 private key.');
  const verifier = ed25519CheckpointVerifier(createPublicKey(priv), keyId);
  return {
    alg: 'ed25519',
    keyId,
    sign: (payload) => sign(null, payload, priv).toString('base64url'),
    verify: verifier.verify,
  };
}

/** Verifies Ed25519 checkpoints with the public key only. */
export function ed25519CheckpointVerifier(
  publicKey: KeyObject | string,
  keyId = 'ed25519',
): CheckpointVerifier {
  const pub = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  if (pub.asymmetricKeyType !== 'ed25519')
    throw new ConfigError('checkpointKey', 'expected an Ed25519 public key.');
  return {
    verify(c) {
      if (c.alg !== 'ed25519' || c.keyId !== keyId) return false;
      try {
        return verify(null, checkpointPayload(c), pub, Buffer.from(c.signature, 'base64url'));
      } catch {
        return false;
      }
    },
  };
}
