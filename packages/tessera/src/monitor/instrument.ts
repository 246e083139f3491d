/**
 * Hooks on the engine's validation entry point, for sinks and rules that must see every
 * validation (the metrics histogram, address throttling). Installed by wrapping the manager's
 * own package-private entry point, so a manager without them pays nothing.
 * @internal
 */
import type { RequestContext } from '../engine/binding.ts';
import { validateNow } from '../engine/internal.ts';
import type { SessionManager, ValidateResult } from '../engine/session-manager.ts';

/** The shape of the engine's validation entry point: synchronous when it can be. */
export type ValidateFn = (
  token: string | null | undefined,
  ctx?: RequestContext,
) => ValidateResult | Promise<ValidateResult>;

type Hookable = { [validateNow]: ValidateFn };

/**
 * Puts `wrap(next)` in front of the manager's validation (both `validate()` and the HTTP layer's
 * synchronous path go through it). Returns a function that takes it out again.
 */
export function wrapValidation(manager: SessionManager, wrap: (next: ValidateFn) => ValidateFn): () => void {
  const m = manager as unknown as Hookable;
  const own = Object.hasOwn(m, validateNow);
  const previous = m[validateNow];
  const wrapped = wrap(previous.bind(manager));
  m[validateNow] = wrapped;
  return () => {
    if (m[validateNow] !== wrapped) return; // something wrapped on top of us: leave the chain alone
    if (own) m[validateNow] = previous;
    else delete (m as Partial<Hookable>)[validateNow];
  };
}
