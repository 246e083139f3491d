/**
 * The fetch-handler adapter written in docs/adapters.md (examples/fetch/adapter.ts): a fifth
 * adapter is done when the contract suite is green for it.
 */
import { fetchContractApp } from './contract-apps.ts';
import { defineContractSuite } from './contract-suite.ts';

defineContractSuite('fetch handler (docs/adapters.md)', fetchContractApp);
