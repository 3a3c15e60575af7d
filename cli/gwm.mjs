#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, from any working directory.
import { register } from 'tsx/esm/api';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import(new URL('./main.ts', import.meta.url).href);
await main();
