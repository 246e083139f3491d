import { Hono } from 'hono';
import type { ServiceContext } from '../service.ts';
export function apiApp(_svc: ServiceContext): Hono {
  return new Hono();
}
