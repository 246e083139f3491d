/**
 * Package-private entry points shared by the engine and the HTTP layer. They are symbols, so they
 * stay off the documented surface; nothing here is exported from the package root.
 * @internal
 */

/**
 * `SessionManager[validateNow](token, ctx)`: `validate` that answers synchronously when the store
 * can (`Store.getSync`) and nothing needs writing, and with a promise otherwise. The HTTP layer
 * uses it to check a request without a promise hop.
 */
export const validateNow: unique symbol = Symbol('tessera.validateNow');

/** `SessionHandler[beginNow](req, sink)`: `begin`, synchronous when validation was. */
export const beginNow: unique symbol = Symbol('tessera.beginNow');
