import { createApp } from '../../../../examples/node/server.ts';
import { nodeContractApp } from './contract-apps.ts';
import { defineContractSuite } from './contract-suite.ts';
import { defineDbscSuite } from './dbsc-suite.ts';
import { listen } from './helpers.ts';
import { defineAdapterSuite } from './suite.ts';

defineAdapterSuite('node:http', (manager) => listen(createApp(manager)));
defineDbscSuite('node:http', (manager, o) => listen(createApp(manager, o)));
defineContractSuite('node:http', nodeContractApp);
