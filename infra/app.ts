import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
import { readDeploySettings } from './config.js';
import { GwmStack } from './stack.js';

const app = new App();
const settings = readDeploySettings(app.node);
const stackName = app.node.tryGetContext('stackName') ?? settings.stackName;
new GwmStack(app, stackName, {
  settings,
  env: { account: settings.account, region: settings.region },
  description: 'gwm: genomics workflow launches on AWS HealthOmics',
});
// Every synth is checked against the AWS Solutions and HIPAA Security rules; an unacknowledged
// finding fails it.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new HIPAASecurityChecks(app));
