import { Hono } from 'hono';
import type { ServiceContext } from '../service.ts';
export function adminApp(_svc: ServiceContext): Hono {
  return new Hono();
}
