import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { createApp } from '../../../../examples/hono/server.ts';
import { honoContractApp } from './contract-apps.ts';
import { defineContractSuite } from './contract-suite.ts';
import { defineDbscSuite } from './dbsc-suite.ts';
import { listen } from './helpers.ts';
import { defineAdapterSuite } from './suite.ts';

defineAdapterSuite('hono', (manager) =>
  listen(createAdaptorServer({ fetch: createApp(manager).fetch }) as Server),
);
defineDbscSuite('hono', (manager, o) =>
  listen(createAdaptorServer({ fetch: createApp(manager, o).fetch }) as Server),
);
defineContractSuite('hono', honoContractApp);
