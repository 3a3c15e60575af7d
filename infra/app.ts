import { App } from 'aws-cdk-lib';
import { GwmStack } from './stack.js';

const app = new App();
new GwmStack(app, app.node.tryGetContext('stackName') ?? 'Gwm', {
  retainData: app.node.tryGetContext('retainData') !== 'false',
});
