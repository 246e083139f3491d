/**
 * Bare Express 5 with the two middleware layers a session check adds in the Tessera bench server
 * (the sessions middleware and `requireAuth()`), both doing nothing but reading the Cookie and
 * User-Agent headers and calling `next()`: what Express itself charges for the shape of the app.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { HOST, ready, USER } from './common.ts';

const app = express();
app.use((req: Request, _res: Response, next: NextFunction) => {
  if (req.headers.cookie === undefined && req.headers['user-agent'] === undefined) req.url = '/';
  next();
});
const guard = (_req: Request, _res: Response, next: NextFunction) => next();
app.get('/me', guard, (_req, res) => {
  res.json({ userId: USER });
});
const server = app.listen(0, HOST, () => ready(server.address()));
