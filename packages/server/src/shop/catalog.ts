/** The demo shop's products: mosaic tiles (a tessera is one tile of a mosaic). */

/** A product. */
export interface Product {
  id: string;
  name: string;
  blurb: string;
  priceCents: number;
  /** CSS class of its swatch. */
  swatch: string;
}

/** Everything the shop sells. */
export const PRODUCTS: readonly Product[] = [
  {
    id: 'cobalt',
    name: 'Cobalt tile',
    blurb: 'Deep blue glass, hand-cut.',
    priceCents: 450,
    swatch: 'sw-cobalt',
  },
  {
    id: 'terracotta',
    name: 'Terracotta tile',
    blurb: 'Warm clay, unglazed.',
    priceCents: 300,
    swatch: 'sw-terracotta',
  },
  {
    id: 'gold',
    name: 'Gold leaf tile',
    blurb: 'Byzantine smalto with gold.',
    priceCents: 1200,
    swatch: 'sw-gold',
  },
  {
    id: 'marble',
    name: 'Marble tile',
    blurb: 'Carrara white, tumbled.',
    priceCents: 600,
    swatch: 'sw-marble',
  },
  { id: 'jade', name: 'Jade tile', blurb: 'Green glass, iridescent.', priceCents: 550, swatch: 'sw-jade' },
  { id: 'onyx', name: 'Onyx tile', blurb: 'Black stone, polished.', priceCents: 700, swatch: 'sw-onyx' },
];

const BY_ID = new Map(PRODUCTS.map((p) => [p.id, p]));

/** The product with this id, or undefined. */
export function product(id: unknown): Product | undefined {
  return typeof id === 'string' ? BY_ID.get(id) : undefined;
}

/** The cart as the session keeps it: product id → quantity. */
export type Cart = Record<string, number>;

/** Session data of the shop. */
export interface ShopData {
  cart?: Cart;
}

/** The cart with one more of `id` (at most 99 of a product, only known products). */
export function addToCart(cart: Cart | undefined, id: string): Cart {
  const next: Cart = { ...cart };
  next[id] = Math.min(99, (next[id] ?? 0) + 1);
  return next;
}

/** The cart without `id`. */
export function removeFromCart(cart: Cart | undefined, id: string): Cart {
  const next: Cart = { ...cart };
  delete next[id];
  return next;
}

/** Lines of a cart with products and subtotals; unknown ids are dropped. */
export function cartLines(cart: Cart | undefined): Array<{ product: Product; qty: number; cents: number }> {
  return Object.entries(cart ?? {}).flatMap(([id, qty]) => {
    const p = BY_ID.get(id);
    return p && Number.isInteger(qty) && qty > 0 ? [{ product: p, qty, cents: p.priceCents * qty }] : [];
  });
}

/** Price as text. */
export function money(cents: number): string {
  return `€${(cents / 100).toFixed(2)}`;
}
