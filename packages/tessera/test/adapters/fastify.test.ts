import { createApp } from '../../../../examples/fastify/server.ts';
import { fastifyContractApp } from './contract-apps.ts';
import { defineContractSuite } from './contract-suite.ts';
import { defineDbscSuite } from './dbsc-suite.ts';
import { defineAdapterSuite } from './suite.ts';

defineAdapterSuite('fastify', async (manager) => {
  const app = createApp(manager);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, close: () => app.close() };
});
defineDbscSuite('fastify', async (manager, o) => {
  const app = createApp(manager, o);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, close: () => app.close() };
});
defineContractSuite('fastify', fastifyContractApp);
