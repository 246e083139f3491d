/** Bare Express 5: `GET /me` answers a constant user. */
import express from 'express';
import { HOST, ready, USER } from './common.ts';

const app = express();
app.get('/me', (_req, res) => {
  res.json({ userId: USER });
});
const server = app.listen(0, HOST, () => ready(server.address()));
