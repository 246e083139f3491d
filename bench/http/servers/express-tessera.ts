/** Express 5 + Tessera (`tessera/express`): `GET /me` behind `requireAuth()`. */
import express from 'express';
import { expressSessions, requireAuth, sessionErrorHandler } from 'tessera/express';
import { benchManager, HOST, ready, USER } from './common.ts';

const app = express();
app.use(expressSessions(benchManager()));
app.get('/me', requireAuth(), (req, res) => {
  res.json({ userId: req.session.userId });
});
app.get('/bench-login', async (req, res, next) => {
  try {
    await req.session.login(USER);
    res.status(204).end();
  } catch (err) {
    next(err);
  }
});
app.use(sessionErrorHandler());
const server = app.listen(0, HOST, () => ready(server.address()));
